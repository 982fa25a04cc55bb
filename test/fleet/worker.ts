/**
 * One fleet worker process (forked with tsx by fleet.ts), using only baton's public API. It
 * loops: acquire lock L, read counter C and the size of set S from dict D, sleep 0–50 ms, then
 * write C+1 and add one new element to S as one fenced batch, and release. S is kept as one key
 * per element (`s/<elem>`), so the batch adds a key instead of rewriting a growing value.
 * Every grant, read, write (before it is sent, and its outcome) and release goes to the
 * worker's history file first (history.ts).
 *
 * With `fencedRead`, the read of C is a fenced `incr(C, 0)`: a write that changes nothing but
 * makes the dict record this grant's fence before anything is read, so a paused former holder
 * can no longer slip a write in between this read and this write. Backends without the
 * ownership guard need it for read-modify-write (see docs/RELIABILITY.md).
 *
 * Config comes as JSON in FLEET_WORKER. It stops after the iteration in progress when the parent
 * sends "stop", and exits at once if the parent goes away.
 * How it fails: an error the API does not document for a call is recorded (the checker counts
 * it as a violation) and the loop goes on; a failure to record (disk) crashes the worker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BackendUnavailableError,
  type Baton,
  type ConnectTarget,
  connect,
  type Lease,
  LockTimeoutError,
  StaleFenceError,
} from '../../src/index.js';
import { Recorder } from './history.js';

/** WorkerConfig is what the parent passes in FLEET_WORKER. */
export interface WorkerConfig {
  readonly target: ConnectTarget;
  readonly lock: string;
  readonly dict: string;
  /** label names this worker incarnation; it is also the lock owner shown by inspect. */
  readonly label: string;
  readonly historyFile: string;
  /** ttlMs is raised to the backend's minimum. */
  readonly ttlMs: number;
  readonly waitMs: number;
  /** timeoutMs bounds every backend call. */
  readonly timeoutMs: number;
  readonly fencedRead: boolean;
}

/** WorkerMessage is what a worker tells its parent. */
export type WorkerMessage = { readonly ready: true; readonly ttlMs: number };

const config = JSON.parse(process.env.FLEET_WORKER ?? 'null') as WorkerConfig | null;
if (config === null) throw new Error('worker.ts runs forked by fleet.ts, with FLEET_WORKER set');

const history = new Recorder(config.historyFile, config.label);
let stopping = false;
process.on('message', (m) => {
  if (m === 'stop') stopping = true;
});
process.on('disconnect', () => process.exit(1));

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 160);
const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}${'code' in err ? ` (${String(err.code)})` : ''}` : String(err);

async function connectWithRetry(): Promise<Baton> {
  for (;;) {
    const t0 = Date.now();
    try {
      return await connect(config!.target, { timeoutMs: config!.timeoutMs });
    } catch (err) {
      const expected = err instanceof BackendUnavailableError;
      history.record({
        type: 'op-error',
        op: 'connect',
        error: describe(err),
        message: messageOf(err),
        expected,
        t0,
        t: Date.now(),
      });
      if (stopping) process.exit(0);
      await sleep(100 + Math.random() * 200);
    }
  }
}

const baton = await connectWithRetry();
const ttlMs = Math.max(config.ttlMs, baton.capabilities.locks.minTtlMs);
const lock = baton.lock(config.lock, { ttlMs, waitMs: config.waitMs, owner: config.label });
const dict = baton.dict<number | true>(config.dict);
process.send?.({ ready: true, ttlMs } satisfies WorkerMessage);

let seq = 0;
while (!stopping) {
  const tReq = Date.now();
  let lease: Lease;
  try {
    lease = await lock.acquire();
  } catch (err) {
    const expected = err instanceof LockTimeoutError || err instanceof BackendUnavailableError;
    history.record({
      type: 'op-error',
      op: 'acquire',
      error: describe(err),
      message: messageOf(err),
      expected,
      t0: tReq,
      t: Date.now(),
    });
    if (err instanceof BackendUnavailableError) await sleep(50 + Math.random() * 100);
    continue;
  }
  const fence = lease.fence;
  history.record({
    type: 'grant',
    fence,
    tReq,
    tResp: Date.now(),
    expiresAt: lease.expiresAt,
    ttlMs: lease.ttlMs,
  });
  await holding(fence, lease);
  const tInvoke = Date.now();
  history.record({ type: 'releasing', fence, t: tInvoke });
  try {
    const released = await lease.release();
    history.record({ type: 'release', fence, tInvoke, t: Date.now(), released });
  } catch (err) {
    history.record({ type: 'release', fence, tInvoke, t: Date.now(), error: describe(err) });
  }
}
await Promise.race([baton.close(), sleep(5_000)]);
process.exit(0);

/** holding reads C and |S| and writes the fenced batch, recording each step. */
async function holding(fence: number, lease: Lease): Promise<void> {
  const t0 = Date.now();
  let c: number;
  let n: number;
  try {
    if (config!.fencedRead) {
      c = (await dict.incrEntry('C', 0, { fence: lease })).value;
      n = (await dict.size()) - 1;
    } else {
      const entry = await dict.getEntry('C');
      c = typeof entry?.value === 'number' ? entry.value : 0;
      n = (await dict.size()) - (entry === undefined ? 0 : 1);
    }
  } catch (err) {
    const op = config!.fencedRead ? 'fenced-read' : 'read';
    const expected =
      err instanceof BackendUnavailableError || (config!.fencedRead && err instanceof StaleFenceError);
    history.record({
      type: 'op-error',
      op,
      error: describe(err),
      message: messageOf(err),
      expected,
      t0,
      t: Date.now(),
    });
    return;
  }
  history.record({ type: 'read', fence, c, n, t: Date.now() });
  await sleep(Math.random() * 50);
  const elem = `${config!.label}.${++seq}`;
  history.record({ type: 'write', fence, elem, c: c + 1, n, t: Date.now() });
  try {
    const version = await dict.batch(
      [
        { op: 'set', key: 'C', value: c + 1 },
        { op: 'set', key: `s/${elem}`, value: true },
      ],
      { fence: lease },
    );
    history.record({ type: 'write-ok', elem, version, t: Date.now() });
  } catch (err) {
    const type =
      err instanceof StaleFenceError
        ? 'write-stale'
        : err instanceof BackendUnavailableError
          ? 'write-unknown'
          : 'write-error';
    history.record({ type, elem, error: describe(err), t: Date.now() });
  }
}
