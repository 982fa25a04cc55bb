/**
 * RedisConnections: the ioredis clients of one baton client, all configured to fail fast.
 *
 * - `main` runs every script (one Redis, a sentinel-managed master, or a Cluster).
 * - `subscriber()` makes a pub/sub connection: one that lock waiters share for release
 *   messages, and one that dict watchers share for change messages (watch.ts).
 *
 * Fail-fast settings: no offline queue (a command sent while disconnected fails at once),
 * `maxRetriesPerRequest: 0` and no resending of unanswered commands after a reconnect (a script
 * is never run twice behind the caller's back; its caller gets BackendUnavailableError instead),
 * `connectTimeout` and `commandTimeout` = `timeoutMs`. Through Sentinel, every connection follows
 * the master: it subscribes to `+switch-master` on the sentinels (ioredis `failoverDetector`) and
 * drops itself on a failover or on a READONLY reply, then asks the sentinels which server is the
 * master now (ioredis checks the server's role on connect). The main client keeps reconnecting in the
 * background (every 50 ms growing to 1 s), so the same baton client works again once Redis is
 * back — also after ioredis itself gave the client up (#keepConnecting). Opening fails with BackendUnavailableError if the first connection is not ready within
 * `timeoutMs`.
 *
 * Auto-pipelining (ioredis `enableAutoPipelining`) is off on purpose: measured on a 2-core VM
 * (docs/BENCHMARKS.md, B4 and the issue 21 section) it made dict calls slower (get 0.47 instead of
 * 0.69 × raw HGET; measured again for issue 21, the lowest throughput and no less client CPU per
 * call). Concurrent dict calls share round trips another way: coalesce.ts sends one tick's calls
 * on a dict as one script call, which also saves Redis the per-script cost.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { BackendUnavailableError } from '../../errors.js';
import { translateError } from './errors.js';
import type { HostPort, RedisSettings } from './url.js';

/** RETRY_CAP_MS caps the delay between reconnection attempts. */
const RETRY_CAP_MS = 1000;

/** retryDelay is the reconnection back-off: 50 ms more per attempt, at most RETRY_CAP_MS. */
function retryDelay(times: number): number {
  return Math.min(50 * times, RETRY_CAP_MS);
}

/** AnyClient is what runs commands: one server (possibly behind sentinels) or a cluster. */
export type AnyClient = Redis | Cluster;

/** nodeOptions are the per-connection options shared by every connection we make. */
function nodeOptions(s: RedisSettings): RedisOptions {
  return {
    username: s.username,
    password: s.password,
    tls: s.tls ? {} : undefined,
    connectTimeout: s.timeoutMs,
    commandTimeout: s.timeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    lazyConnect: true,
    keepAlive: 10_000,
  };
}

/** standaloneOptions configure a connection to one server (or to the master a sentinel names). */
function standaloneOptions(s: RedisSettings): RedisOptions {
  const base: RedisOptions = {
    ...nodeOptions(s),
    db: s.db,
    enableOfflineQueue: false,
    retryStrategy: retryDelay,
  };
  if (s.mode === 'sentinel') {
    return {
      ...base,
      sentinels: s.nodes.map((n) => ({ host: n.host, port: n.port })),
      name: s.sentinelName,
      sentinelPassword: s.sentinelPassword,
      sentinelTLS: s.tls ? {} : undefined,
      enableTLSForSentinelMode: s.tls,
      sentinelRetryStrategy: retryDelay,
      // Follow the master: every sentinel's +switch-master drops this connection, which then asks
      // the sentinels for the new master (costs one subscriber connection per sentinel, at most 10).
      failoverDetector: true,
      // A master demoted under an open connection answers writes with READONLY: reconnect, which
      // asks the sentinels again (the failed command is not resent).
      reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 1 : false),
    };
  }
  const node = s.nodes[0]!;
  return { ...base, host: node.host, port: node.port };
}

function clusterOptions(s: RedisSettings, redisOptions: RedisOptions): ClusterOptions {
  return {
    enableOfflineQueue: false,
    enableReadyCheck: true,
    lazyConnect: true,
    scaleReads: 'master',
    clusterRetryStrategy: retryDelay,
    slotsRefreshTimeout: s.timeoutMs,
    redisOptions,
  };
}

/** RedisConnections owns the main client and makes the dedicated ones. */
export class RedisConnections {
  readonly main: AnyClient;
  readonly settings: RedisSettings;

  #closed = false;
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | undefined;

  private constructor(settings: RedisSettings, main: AnyClient) {
    this.settings = settings;
    this.main = main;
    if (main instanceof Redis) this.#keepConnecting(main);
  }

  /**
   * #keepConnecting connects the main client again when ioredis gives it up. ioredis ends a client
   * for good ('end'; every command then fails with "Connection is closed.") when its connection is
   * dropped while a reconnection attempt is still under way — through Sentinel, a `+switch-master`
   * (failover detector) or a READONLY reply arriving while ioredis asks the sentinels for the
   * master — and no retry follows. Until close(), an 'end' schedules `connect()` with the same
   * back-off as ioredis' own retries (test/redis/reconnect-cut-short.test.ts).
   */
  #keepConnecting(main: Redis): void {
    main.on('ready', () => {
      this.#restarts = 0;
    });
    main.on('end', () => {
      if (this.#closed || this.#restartTimer) return;
      this.#restartTimer = setTimeout(
        () => {
          this.#restartTimer = undefined;
          if (!this.#closed && main.status === 'end') main.connect().catch(() => undefined);
        },
        retryDelay(++this.#restarts),
      );
    });
  }

  /** open connects the main client; BackendUnavailableError when it is not ready within `timeoutMs`. */
  static async open(settings: RedisSettings): Promise<RedisConnections> {
    const main: AnyClient =
      settings.mode === 'cluster'
        ? new Cluster(
            settings.nodes.map((n) => ({ host: n.host, port: n.port })),
            clusterOptions(settings, nodeOptions(settings)),
          )
        : new Redis(standaloneOptions(settings));
    await connectWithin(main, settings.timeoutMs, describeNodes(settings));
    return new RedisConnections(settings, main);
  }

  /** isCluster is true for redis+cluster://. */
  /** ping resolves when the main connection answers PING; BackendUnavailableError otherwise. */
  async ping(): Promise<void> {
    try {
      await this.main.ping();
    } catch (err) {
      throw translateError(err);
    }
  }

  get isCluster(): boolean {
    return this.settings.mode === 'cluster';
  }

  /**
   * subscriber makes a new, connected pub/sub connection that does not reconnect by itself (its
   * owner makes another on the next need): to the server, or to a random master of the cluster
   * (ordinary PUBLISH reaches every node of a cluster).
   */
  async subscriber(): Promise<Redis> {
    let conn: Redis;
    if (this.isCluster) {
      const masters = (this.main as Cluster).nodes('master');
      const pick = masters[Math.floor(Math.random() * masters.length)];
      const hp: HostPort = pick
        ? { host: pick.options.host ?? '127.0.0.1', port: pick.options.port ?? 6379 }
        : this.settings.nodes[0]!;
      conn = new Redis({
        ...nodeOptions(this.settings),
        host: hp.host,
        port: hp.port,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
    } else {
      conn = new Redis({ ...standaloneOptions(this.settings), retryStrategy: () => null });
    }
    await connectWithin(conn, this.settings.timeoutMs, 'redis subscriber');
    return conn;
  }

  /** close disconnects the main client at once (pending commands fail). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.main.disconnect();
  }
}

/** connectWithin connects `client` or fails with BackendUnavailableError after `timeoutMs` (and disconnects it). */
export async function connectWithin(client: AnyClient, timeoutMs: number, what: string): Promise<void> {
  client.on('error', () => undefined); // errors surface on the commands; keep them off process 'error'
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not connected within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    const message = err instanceof Error ? err.message : String(err);
    throw new BackendUnavailableError(`cannot connect to ${what}: ${message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

function describeNodes(s: RedisSettings): string {
  const hosts = s.nodes.map((n) => `${n.host}:${n.port}`).join(',');
  return s.mode === 'single' ? `redis ${hosts}` : `redis ${s.mode} ${hosts}`;
}
