/**
 * What `baton run` holds while its command runs: a lock (`--lock NAME`), permits of a semaphore
 * (`--semaphore NAME --permits N [--count K]`), or a read or write lease on a read-write lock
 * (`--rwlock NAME --read|--write`). Each target takes its lease (kept extended), describes the
 * current holders for the "busy" message, and names the environment the command gets:
 * BATON_LOCK, BATON_SEMAPHORE or BATON_RWLOCK (the name), and for every kind BATON_FENCE and
 * BATON_FENCE_LOCK (the fence's scope: the lock name, `semaphore/NAME` or `rwlock/NAME`), so
 * `--fence "$BATON_FENCE_LOCK:$BATON_FENCE"` fences a write whatever the command holds.
 *
 * How it fails: `checkTarget` throws CliError (exit 2) for flags that do not name exactly one
 * target or mix one's flags with another's; the library's InvalidArgumentError (exit 2) for a
 * `--count` above `--permits`, or a `--permits` that differs from the size of a semaphore in use.
 */
import type { Baton, Lease } from '../index.js';
import { formatDuration } from './duration.js';
import { CliError, EXIT } from './exit-codes.js';

/** TargetFlags are the flags of `baton run` that choose what it holds. */
export interface TargetFlags {
  readonly lock?: string;
  readonly semaphore?: string;
  readonly permits?: number;
  readonly count?: number;
  readonly rwlock?: string;
  readonly read?: boolean;
  readonly write?: boolean;
  readonly ttl: number;
  readonly owner?: string;
}

/** RunTarget is the thing `baton run` holds. */
export interface RunTarget {
  /** label names it in messages: `lock "x"`, `semaphore "x"`, `rwlock "x"`. */
  readonly label: string;
  /** tryAcquire tries once, without queueing; null when busy. */
  tryAcquire(): Promise<Lease | null>;
  /** acquire waits up to `waitMs`; LockTimeoutError when not granted in time. */
  acquire(waitMs: number, signal: AbortSignal): Promise<Lease>;
  /** holders describes who holds it now, as ` (held by …)`, or '' when that cannot be told. */
  holders(): Promise<string>;
  /** env is what the command gets besides BATON_URL. */
  env(lease: Lease): Record<string, string>;
}

/** checkTarget throws a usage error unless the flags name exactly one target, with only its own flags. */
export function checkTarget(flags: TargetFlags): void {
  const chosen = (['lock', 'semaphore', 'rwlock'] as const).filter((k) => flags[k] !== undefined);
  if (chosen.length !== 1) {
    throw usage(
      chosen.length === 0
        ? 'say what to hold: --lock NAME, --semaphore NAME --permits N, or --rwlock NAME --read|--write'
        : `give one of ${chosen.map((k) => `--${k}`).join(', ')}, not several`,
    );
  }
  if (flags.semaphore !== undefined && flags.permits === undefined) {
    throw usage("--semaphore needs --permits N (the semaphore's size, the same on every machine)");
  }
  if (flags.semaphore === undefined && (flags.permits !== undefined || flags.count !== undefined)) {
    throw usage('--permits and --count go with --semaphore');
  }
  if (flags.rwlock !== undefined && flags.read === flags.write) {
    throw usage('--rwlock needs exactly one of --read or --write');
  }
  if (flags.rwlock === undefined && (flags.read || flags.write)) {
    throw usage('--read and --write go with --rwlock');
  }
}

/** runTarget makes the target the (checked) flags name. InvalidArgumentError for a bad name or count. */
export function runTarget(baton: Baton, flags: TargetFlags): RunTarget {
  const options = { ttlMs: flags.ttl, owner: flags.owner };
  const held = { autoExtend: true } as const;
  if (flags.semaphore !== undefined) {
    const sem = baton.semaphore(flags.semaphore, { ...options, permits: flags.permits });
    const count = flags.count ?? 1;
    return {
      label: `semaphore "${sem.name}"`,
      tryAcquire: () => sem.tryAcquire({ count, ...held }),
      acquire: (waitMs, signal) => sem.acquire({ count, waitMs, signal, ...held }),
      async holders() {
        const info = await sem.inspect();
        if (info.holders.length === 0) return '';
        const who = info.holders.map((h) => `${h.owner ?? 'someone'} ×${h.count}`).join(', ');
        return ` (${info.used} of ${info.permits} permits used by ${who}; you asked for ${count})`;
      },
      env: (lease) => fenceEnv('BATON_SEMAPHORE', sem.name, lease),
    };
  }
  if (flags.rwlock !== undefined) {
    const rw = baton.rwlock(flags.rwlock, options);
    const write = flags.write === true;
    return {
      label: `rwlock "${rw.name}" (${write ? 'write' : 'read'})`,
      tryAcquire: () => (write ? rw.tryWrite(held) : rw.tryRead(held)),
      acquire: (waitMs, signal) =>
        write ? rw.write({ waitMs, signal, ...held }) : rw.read({ waitMs, signal, ...held }),
      async holders() {
        const info = await rw.inspect();
        if (info.holders.length === 0) return '';
        const who = info.holders.map((h) => h.owner ?? 'someone').join(', ');
        const waiting = info.waiting ? `; ${info.waiting} waiting` : '';
        return ` (held for ${info.mode === 'write' ? 'writing' : 'reading'} by ${who}, fence ${info.fence}${waiting})`;
      },
      env: (lease) => fenceEnv('BATON_RWLOCK', rw.name, lease),
    };
  }
  const lock = baton.lock(flags.lock ?? '', options);
  return {
    label: `lock "${lock.name}"`,
    tryAcquire: () => lock.tryAcquire(held),
    acquire: (waitMs, signal) => lock.acquire({ waitMs, signal, ...held }),
    async holders() {
      const info = await lock.inspect();
      if (!info.held) return '';
      const left =
        info.expiresAt === undefined ? '' : `, expires in ${formatDuration(info.expiresAt - Date.now())}`;
      return ` (held by ${info.owner ?? 'someone'}, fence ${info.fence}${left})`;
    },
    env: (lease) => fenceEnv('BATON_LOCK', lock.name, lease),
  };
}

function fenceEnv(variable: string, name: string, lease: Lease): Record<string, string> {
  return { [variable]: name, BATON_FENCE: String(lease.fence), BATON_FENCE_LOCK: lease.fenceScope };
}

function usage(message: string): CliError {
  return new CliError(EXIT.USAGE, message);
}
