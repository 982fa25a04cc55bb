/**
 * EtcdClient: one etcd3 connection pool with deadlines, retries and error translation, shared by
 * the lock and dict sides of one opened backend. Every RPC baton sends goes through `call`.
 *
 * Deadlines: each call gets one absolute deadline (`timeoutMs` from its start); every attempt
 * carries it to gRPC, so a call never takes much longer than `timeoutMs` and then fails with
 * BackendUnavailableError. etcd3's own global retry is switched off (it would resend writes
 * whose fate is unknown); instead `call` retries an idempotent call on any transient failure,
 * and any call when the request certainly never reached etcd, with a short jittered backoff,
 * until the deadline. etcd3's per-host circuit breaker stays on, so a dead member is skipped
 * and re-probed every second; the same client recovers once members answer again.
 *
 * How it fails: BackendUnavailableError when the cluster cannot answer in time or the client is
 * closed; InvalidArgumentError / PayloadTooLargeError for what etcd refuses (see errors.ts).
 */
import { ConsecutiveBreaker, circuitBreaker, handleWhen, noop } from 'cockatiel';
import {
  Etcd3,
  type ILeaseKeepAliveResponse,
  type IRangeRequest,
  type IRangeResponse,
  type ITxnRequest,
  type ITxnResponse,
  isRecoverableError,
  type KVClient,
} from 'etcd3';
import { BackendUnavailableError } from '../../errors.js';
import { isLeaseGone, isTransient, isUnsent, translateError } from './errors.js';
import { Keys } from './keys.js';
import type { EtcdSettings } from './url.js';

/** CallOptions are the gRPC options of one attempt (its deadline). */
export type CallOptions = NonNullable<Parameters<KVClient['range']>[1]>;

/** Retry says which failures `call` may retry: any transient one, or only requests never sent. */
export type Retry = 'idempotent' | 'unsent';

/**
 * LeaseRecord is a granted etcd lease: its id and its TTL as etcd set it (whole seconds, at least
 * etcd's minimum). Not baton's `Lease` (a held lock or permits): this is the store's record.
 */
export interface LeaseRecord {
  readonly id: string;
  readonly ttlSeconds: number;
}

const MAX_BACKOFF_MS = 250;

/** EtcdClient wraps one etcd3 client for one store prefix. */
export class EtcdClient {
  readonly raw: Etcd3;
  readonly keys: Keys;
  readonly timeoutMs: number;
  /** watchBufferBytes bounds each dict watch's queue (dict-watch.ts). */
  readonly watchBufferBytes: number;
  #closed = false;
  readonly #revoking = new Set<Promise<unknown>>();

  constructor(settings: EtcdSettings) {
    this.keys = new Keys(settings.prefix);
    this.timeoutMs = settings.timeoutMs;
    this.watchBufferBytes = settings.watchBufferBytes;
    this.raw = new Etcd3({
      hosts: [...settings.hosts],
      ...(settings.auth ? { auth: { ...settings.auth } } : {}),
      ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
      grpcOptions: {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
        'grpc.max_receive_message_length': 256 * 1024 * 1024,
      },
      faultHandling: {
        global: noop,
        host: () =>
          circuitBreaker(handleWhen(isRecoverableError), {
            halfOpenAfter: 1_000,
            breaker: new ConsecutiveBreaker(3),
          }),
      },
    });
  }

  /** closed is true once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * call runs one RPC with the client's deadline, retrying as `retry` allows, and translates its
   * failure. `what` names the operation in error messages.
   */
  async call<T>(what: string, retry: Retry, rpc: (options: CallOptions) => Promise<T>): Promise<T> {
    this.assertOpen();
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await rpc({ deadline });
      } catch (err) {
        if (this.#closed) throw new BackendUnavailableError('baton client is closed', { cause: err });
        const again = retry === 'idempotent' ? isTransient(err) : isUnsent(err);
        const pause = Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt) * (0.5 + Math.random() / 2);
        if (!again || Date.now() + pause >= deadline) throw translateError(err, what);
        await new Promise((resolve) => setTimeout(resolve, pause));
        this.assertOpen();
      }
    }
  }

  /** txn sends one transaction. */
  txn(what: string, retry: Retry, request: ITxnRequest): Promise<ITxnResponse> {
    return this.call(what, retry, (options) => this.raw.kv.txn(request, options));
  }

  /** range reads (linearizably); always retried on transient failures. */
  range(what: string, request: IRangeRequest): Promise<IRangeResponse> {
    return this.call(what, 'idempotent', (options) => this.raw.kv.range(request, options));
  }

  /** grant creates a lease of `ttlSeconds` (etcd raises it to its minimum; the result says what was set). */
  async grant(ttlSeconds: number): Promise<LeaseRecord> {
    const res = await this.call('lease grant', 'idempotent', (options) =>
      this.raw.leaseClient.leaseGrant({ TTL: ttlSeconds }, options),
    );
    return { id: res.ID, ttlSeconds: Number(res.TTL) };
  }

  /** revoke ends a lease and deletes its keys; a lease already gone is fine. */
  async revoke(id: string): Promise<void> {
    await this.call('lease revoke', 'idempotent', async (options) => {
      try {
        await this.raw.leaseClient.leaseRevoke({ ID: id }, options);
      } catch (err) {
        if (!isLeaseGone(err)) throw err;
      }
    });
  }

  /**
   * revokeSoon revokes a lease without making the caller wait: for the lease of a key already
   * deleted, which would expire anyway, so a release answers after one raft write instead of
   * two. `settle` waits for the revokes still running (open.ts calls it before `close`).
   */
  revokeSoon(id: string): void {
    const revoking = this.revoke(id).catch(() => undefined);
    this.#revoking.add(revoking);
    void revoking.then(() => this.#revoking.delete(revoking));
  }

  /** settle resolves once every revokeSoon has finished (or failed). */
  async settle(): Promise<void> {
    await Promise.all([...this.#revoking]);
  }

  /** keepAliveOnce renews a lease to its full TTL; resolves to that TTL in seconds, 0 when the lease is gone. */
  keepAliveOnce(id: string): Promise<number> {
    return this.call('lease keep-alive', 'idempotent', async (options) => {
      const stream = await this.raw.leaseClient.leaseKeepAlive(options);
      return new Promise<number>((resolve, reject) => {
        stream.on('data', (res: ILeaseKeepAliveResponse) => {
          resolve(Number(res.TTL));
          stream.end(); // a half-close ends the stream cleanly (cancel would count as a host failure)
        });
        stream.on('error', reject);
        stream.on('end', () => reject(new BackendUnavailableError('lease keep-alive stream ended early')));
        stream.write({ ID: id });
      });
    });
  }

  /** timeToLive is the remaining TTL of a lease in whole seconds, or -1 when it is gone. */
  async timeToLive(id: string): Promise<number> {
    const res = await this.call('lease time-to-live', 'idempotent', (options) =>
      this.raw.leaseClient.leaseTimeToLive({ ID: id }, options),
    );
    return Number(res.TTL);
  }

  /** minLeaseSeconds asks etcd for a 1 s lease and reports what it granted: etcd's minimum lease TTL. */
  async minLeaseSeconds(): Promise<number> {
    const lease = await this.grant(1);
    await this.revoke(lease.id).catch(() => undefined); // it expires on its own anyway
    return Math.max(1, lease.ttlSeconds);
  }

  /** ping reads a key that never exists, linearizably (so it needs a quorum). */
  async ping(): Promise<void> {
    await this.range('ping', { key: this.keys.pingKey(), count_only: true });
  }

  /** assertOpen throws BackendUnavailableError once the client is closed. */
  assertOpen(): void {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
  }

  /** close closes every connection; calls in flight fail with BackendUnavailableError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.raw.close();
  }
}
