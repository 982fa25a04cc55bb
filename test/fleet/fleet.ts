/**
 * The fleet harness: forks P worker processes (worker.ts) against one backend, lets a nemesis
 * inject faults at random while they work, heals everything, lets the fleet run quietly for a
 * while, stops the workers, reads the final state of the dict and hands the whole history to the
 * checker (checker.ts).
 *
 * The nemesis injects one fault at a time, in a random order that cycles through every kind, and
 * goes on past the run's duration until one whole cycle is done, so every kind happens in every
 * run:
 *   - pause: SIGSTOP a worker (the current holder when the lock says who) for longer than its
 *     TTL, then SIGCONT — the GC-pause case;
 *   - kill: SIGKILL a worker and fork a new one in its place;
 *   - the backend's own faults (backends.ts): restart Redis, a Redlock master, an etcd member,
 *     the baton server.
 *
 * How it fails: `runFleet` resolves to a report whose `violations` lists everything wrong,
 * including workers that died by themselves or did not stop (hung); it throws only when the
 * services or workers cannot be started at all. Everything it started is stopped in any case.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Baton, connect } from '../../src/index.js';
import { makeTempDir, removeTempDir } from '../support/processes.js';
import { RECOVERY_MS, untilSucceeds } from '../support/retry.js';
import {
  type BackendName,
  type FaultOutcome,
  type FleetBackend,
  type FleetNames,
  startBackend,
} from './backends.js';
import { check, type FinalState, type Report } from './checker.js';
import { type Fault, readHistory } from './history.js';
import type { WorkerConfig, WorkerMessage } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** FleetOptions shape one run. */
export interface FleetOptions {
  readonly backend: BackendName;
  /** workers is P, the fleet size. Default 6. */
  readonly workers?: number;
  /** durationMs is how long the nemesis runs. */
  readonly durationMs: number;
  /** quietMs is how long the fleet runs after every fault is healed (at least 2 TTLs + 2 s). */
  readonly quietMs: number;
  /** faultGapMs is the range of the pause between two faults. */
  readonly faultGapMs: readonly [number, number];
  /** ttlMs is the lease TTL the workers ask for (raised to the backend's minimum). Default 500. */
  readonly ttlMs?: number;
  /**
   * fencedRead: 'auto' (the default) makes the workers' read a fenced write on backends without
   * the ownership guard; true / false force it (false shows what a plain read risks there).
   */
  readonly fencedRead?: boolean | 'auto';
  /** seed makes the nemesis's choices repeatable (workers' timing is not). */
  readonly seed?: number;
  /** log receives progress lines. */
  readonly log?: (line: string) => void;
  /** workerFaults: false leaves the workers alone (only the backend's faults). Default true. */
  readonly workerFaults?: boolean;
  /**
   * probe, when given, starts once the workers are up (it gets the backend) and is stopped after
   * the quiet period, before the workers are.
   */
  readonly probe?: (backend: FleetBackend) => { stop(): Promise<void> };
  /** keepHistoryIn: when the run has violations, its history files are copied into this dir. */
  readonly keepHistoryIn?: string;
}

/** FleetResult is a run's report and what it ran on. */
export interface FleetResult {
  readonly report: Report;
  readonly backend: string;
  readonly describe: string;
  readonly seed: number;
  readonly ttlMs: number;
  readonly fencedRead: boolean;
  readonly elapsedMs: number;
  /** faults lists every fault injected, with its start and end. */
  readonly faults: readonly Fault[];
  /** historyDir is where the history was kept (only with `keepHistoryIn` and violations). */
  readonly historyDir?: string;
}

interface WorkerHandle {
  readonly label: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** killedByUs is set before the harness kills it, so its death is not a violation. */
  killedByUs: boolean;
  exitedWith?: string;
  stderr: string;
}

/** runFleet does one run against `options.backend` and resolves to the checker's report. */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const started = Date.now();
  const seed = options.seed ?? randomBytes(4).readUInt32LE(0);
  const random = mulberry32(seed);
  const log = options.log ?? (() => {});
  const backend = await startBackend(options.backend);
  const dir = await makeTempDir('fleet');
  const workers: WorkerHandle[] = [];
  const violations: string[] = [];
  let parent: Baton | undefined;
  try {
    // A machine loaded far past its cores can take longer than one timeout to reach a Sentinel
    // deployment's master (sentinel first, then the master): retry for the recovery time.
    await untilSucceeds(async () => {
      parent = await connect(backend.target, { timeoutMs: 2_000 });
    });
    if (parent === undefined) throw new Error('unreachable: connected without a client');
    const guard = parent.capabilities.dicts.ownershipGuard;
    const fencedRead =
      options.fencedRead === 'auto' || options.fencedRead === undefined ? !guard : options.fencedRead;
    const ttlMs = Math.max(options.ttlMs ?? 500, parent.capabilities.locks.minTtlMs);
    const base = {
      target: backend.target,
      lock: `fleet-lock-${randomBytes(3).toString('hex')}`,
      dict: `fleet-dict-${randomBytes(3).toString('hex')}`,
      ttlMs,
      waitMs: 5_000,
      timeoutMs: 2_000,
      fencedRead,
    };
    let generation = 0;
    const spawnWorker = (slot: number): WorkerHandle => {
      const label = `w${slot}g${generation++}`;
      const config: WorkerConfig = {
        ...base,
        target: backend.targetFor?.(slot) ?? backend.target,
        label,
        historyFile: `${dir}/${label}.jsonl`,
      };
      const child = fork(WORKER, [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, FLEET_WORKER: JSON.stringify(config) },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      const handle: WorkerHandle = {
        label,
        child,
        killedByUs: false,
        stderr: '',
        exited: new Promise((resolve) =>
          child.once('exit', (code, signal) => {
            handle.exitedWith = signal ?? `code ${code}`;
            if (!handle.killedByUs && code !== 0) {
              violations.push(
                `worker ${label} died by itself (${handle.exitedWith}): ${handle.stderr.slice(-800)}`,
              );
            }
            resolve();
          }),
        ),
      };
      child.stderr?.on('data', (chunk: Buffer) => {
        handle.stderr = (handle.stderr + chunk.toString('utf8')).slice(-4000);
      });
      child.on('error', () => {});
      workers.push(handle);
      return handle;
    };
    const ready = (w: WorkerHandle): Promise<void> =>
      new Promise((resolve, reject) => {
        w.child.once('message', (m: WorkerMessage) => (m.ready ? resolve() : undefined));
        void w.exited.then(() =>
          reject(new Error(`worker ${w.label} exited before it was ready: ${w.stderr}`)),
        );
      });
    const P = options.workers ?? 6;
    const slots = Array.from({ length: P }, (_, i) => spawnWorker(i));
    await withTimeout(Promise.all(slots.map(ready)), 60_000, 'the workers did not all connect within 60 s');
    log(`${backend.name}: ${P} workers up (ttl ${ttlMs} ms, fenced read ${fencedRead}, seed ${seed})`);

    const probe = options.probe?.(backend);
    const faults = await nemesis({
      backend,
      random,
      until: Date.now() + options.durationMs,
      gap: options.faultGapMs,
      ttlMs,
      slots,
      lock: parent.lock(base.lock),
      names: { lock: base.lock, dict: base.dict },
      spawn: (slot) => spawnWorker(slot),
      workerFaults: options.workerFaults ?? true,
      log,
    });
    const healedAt = Date.now();
    // A holder killed by the last fault keeps the lock for its TTL: give the fleet two more.
    const quietMs = Math.max(options.quietMs, 2 * ttlMs + 2_000);
    log(`${backend.name}: ${faults.length} faults injected; healed, running quietly for ${quietMs} ms`);
    await sleep(quietMs);
    await probe?.stop();

    for (const w of slots) w.child.send('stop', () => {});
    const stopped = await Promise.race([
      Promise.all(slots.map((w) => w.exited)).then(() => true),
      sleep(30_000).then(() => false),
    ]);
    if (!stopped) {
      for (const w of slots.filter((s) => s.exitedWith === undefined)) {
        violations.push(`worker ${w.label} did not stop within 30 s of being asked (hung)`);
      }
    }

    // The harness's own client has been connected since the start, idle but for the pause
    // fault's inspect(): it must read the final state like any client. If it cannot within the
    // recovery time (a client that never reconnects), that is a violation; a fresh client reads.
    let final: FinalState;
    try {
      final = await readFinal(parent, base.dict);
    } catch (err) {
      violations.push(
        `the harness's long-lived client could not read the dict within ${RECOVERY_MS} ms after the faults were healed (${err instanceof Error ? err.message : String(err)}); a fresh client read it`,
      );
      const fresh = await connect(backend.target, { timeoutMs: 2_000 });
      try {
        final = await readFinal(fresh, base.dict);
      } finally {
        await fresh.close().catch(() => {});
      }
    }
    const report = check(readHistory(dir), final, faults, { healedAt });
    violations.push(...backend.problems());
    let historyDir: string | undefined;
    if (options.keepHistoryIn !== undefined && violations.length + report.violations.length > 0) {
      historyDir = join(options.keepHistoryIn, `${backend.name}-${seed}`);
      cpSync(dir, historyDir, { recursive: true });
      writeFileSync(join(historyDir, 'faults.json'), JSON.stringify(faults, null, 1));
      writeFileSync(join(historyDir, 'final.json'), JSON.stringify(final));
    }
    return {
      historyDir,
      report: { ...report, violations: [...violations, ...report.violations] },
      backend: backend.name,
      describe: backend.describe,
      seed,
      ttlMs,
      fencedRead,
      elapsedMs: Date.now() - started,
      faults,
    };
  } finally {
    for (const w of workers) {
      if (w.exitedWith === undefined) {
        w.killedByUs = true;
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
      }
    }
    await Promise.all(workers.map((w) => w.exited));
    await parent?.close().catch(() => {});
    await backend.stop();
    await removeTempDir(dir);
  }
}

interface NemesisContext {
  readonly backend: FleetBackend;
  readonly random: () => number;
  readonly until: number;
  readonly gap: readonly [number, number];
  readonly ttlMs: number;
  /** slots holds the live worker of each slot; kill replaces it. */
  readonly slots: WorkerHandle[];
  readonly lock: ReturnType<Baton['lock']>;
  readonly names: FleetNames;
  readonly spawn: (slot: number) => WorkerHandle;
  readonly workerFaults: boolean;
  readonly log: (line: string) => void;
}

/** nemesis injects faults until `until`, one at a time, and returns what it did. */
async function nemesis(ctx: NemesisContext): Promise<Fault[]> {
  const { random } = ctx;
  const kinds: Array<{ kind: string; inject: () => Promise<string | FaultOutcome> }> = [
    ...(ctx.workerFaults
      ? [
          { kind: 'pause', inject: () => pause(ctx) },
          { kind: 'kill', inject: () => kill(ctx) },
        ]
      : []),
    ...ctx.backend.faults.map((f) => ({ kind: f.kind, inject: () => f.inject(random, ctx.names) })),
  ];
  const faults: Fault[] = [];
  let bag: typeof kinds = [];
  for (;;) {
    await sleep(ctx.gap[0] + random() * (ctx.gap[1] - ctx.gap[0]));
    // Run at least one full cycle, so every kind of fault happens in every run.
    if (Date.now() >= ctx.until && faults.length >= kinds.length) break;
    if (bag.length === 0) bag = shuffle([...kinds], random);
    const next = bag.pop()!;
    const t0 = Date.now();
    const done = await next.inject();
    const { target, lost } = typeof done === 'string' ? { target: done, lost: undefined } : done;
    faults.push({ kind: next.kind, target, t0, t1: Date.now(), ...(lost ? { lost } : {}) });
    ctx.log(`  ${next.kind} ${target} (${Date.now() - t0} ms)`);
  }
  return faults;
}

/**
 * pause SIGSTOPs the holder (or a random worker) past its TTL, then SIGCONTs it: half the time
 * for TTL + 0..100 ms, so it wakes while the next holder is still at work, otherwise for
 * TTL + 100..1000 ms.
 */
async function pause(ctx: NemesisContext): Promise<string> {
  const owner = await ctx.lock
    .inspect()
    .then((info) => (info.held ? info.owner : undefined))
    .catch(() => undefined);
  const holder = ctx.slots.find((w) => w.label === owner && w.exitedWith === undefined);
  const victim =
    holder ??
    pick(
      ctx.slots.filter((w) => w.exitedWith === undefined),
      ctx.random,
    );
  if (victim === undefined) return 'nobody (no live worker)';
  victim.child.kill('SIGSTOP');
  await sleep(ctx.ttlMs + (ctx.random() < 0.5 ? ctx.random() * 100 : 100 + ctx.random() * 900));
  victim.child.kill('SIGCONT');
  return `${victim.label}${holder ? ' (holder)' : ''}`;
}

/** kill SIGKILLs a random worker and forks a new one in its slot. */
async function kill(ctx: NemesisContext): Promise<string> {
  const slot = Math.floor(ctx.random() * ctx.slots.length);
  const victim = ctx.slots[slot]!;
  victim.killedByUs = true;
  victim.child.kill('SIGKILL');
  await victim.exited;
  ctx.slots[slot] = ctx.spawn(slot);
  return `${victim.label} → ${ctx.slots[slot]!.label}`;
}

/** readFinal reads C and the elements of S, retrying while the backend is still recovering. */
async function readFinal(baton: Baton, dictName: string): Promise<FinalState> {
  const dict = baton.dict<number | true>(dictName);
  let final: FinalState = { c: 0, elems: [] };
  await untilSucceeds(async () => {
    const c = await dict.get('C');
    const keys = await dict.keys({ prefix: 's/' });
    final = { c: typeof c === 'number' ? c : 0, elems: keys.map((k) => k.slice(2)) };
  });
  return final;
}

function pick<T>(items: readonly T[], random: () => number): T | undefined {
  return items[Math.floor(random() * items.length)];
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** mulberry32 is a small seeded PRNG, so a run's fault schedule can be repeated from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
