/**
 * `baton run --lock NAME [--ttl 30s] [-w 10m | -n] -- command args…`: flock(1) for a
 * fleet. It takes the lock (waiting by notification), runs the command with BATON_LOCK,
 * BATON_FENCE and BATON_URL in its environment while extending the lease every third of the
 * TTL, releases the lock when the command ends, and exits with the command's status.
 * `--semaphore NAME --permits N [--count K]` holds K of a semaphore's N permits instead (at most
 * N/K commands at once across the fleet), `--rwlock NAME --read|--write` a read or write lease
 * (see run-target.ts); everything else is the same.
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR2 are forwarded to the command, except a SIGINT or
 * SIGQUIT the terminal already sent it (see supervise.ts); the lock is released once it has ended.
 * If baton dies, even by SIGKILL, its command is killed (orphan-guard.ts). A signal that arrives
 * while baton is still waiting ends the wait (128+n) and leaves no waiter queued.
 *
 * How it fails: exit 75 when the lock is busy (-n) or not granted within --wait, 70 when
 * the lease is lost while the command runs (the command is stopped, see supervise.ts), 69 when the
 * backend is unreachable (while waiting, baton retries until --wait is spent), 2 for a usage or
 * configuration mistake, 126/127 when the command cannot be started.
 */
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { BackendUnavailableError, LockTimeoutError } from '../errors.js';
import type { Lease } from '../locks/lease.js';
import { MAX_PERMITS } from '../locks/semaphore-backend.js';
import { durationArg, formatDuration } from './duration.js';
import { EXIT } from './exit-codes.js';
import { examples } from './help.js';
import { backendOption, intArg, note, withBaton } from './options.js';
import { checkTarget, type RunTarget, runTarget, type TargetFlags } from './run-target.js';
import { type Supervised, supervise } from './supervise.js';

interface RunFlags extends TargetFlags {
  ttl: number;
  /** wait: ms from --wait, false from --no-wait, undefined to wait for ever. */
  wait?: number | false;
  /** nonblock: -n/--nonblock, which wins over --wait whatever their order (as in flock). */
  nonblock?: boolean;
  grace: number;
  owner?: string;
  quiet?: boolean;
  backend: string;
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/** registerRun adds `baton run` to the program. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'Run a command while holding a lock, semaphore permits or a read-write lock across the fleet (flock for many machines).',
    )
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--lock <name>', 'lock name (1-200 of A-Z a-z 0-9 . _ : -)')
    .option('--semaphore <name>', 'hold permits of this semaphore instead (with --permits)')
    .addOption(
      new Option('--permits <n>', "the semaphore's size, the same on every machine").argParser(
        intArg(1, MAX_PERMITS),
      ),
    )
    .addOption(
      new Option('--count <n>', 'permits this command takes (default 1)').argParser(intArg(1, MAX_PERMITS)),
    )
    .option('--rwlock <name>', 'hold this read-write lock instead (with --read or --write)')
    .option('--read', 'a read lease: shared with other readers')
    .option('--write', 'a write lease: exclusive; later readers wait behind it')
    .addOption(
      new Option('--ttl <duration>', 'lease length; extended every third of it while the command runs')
        .default(30_000, '30s')
        .argParser(durationArg(1)),
    )
    .addOption(
      new Option(
        '-w, --wait <duration>',
        'wait at most this long for the lock, as flock -w (default: for ever; 0: not at all)',
      ).argParser(durationArg(0)),
    )
    .addOption(new Option('-n, --nonblock', 'exit 75 at once when the lock is busy, as flock -n'))
    .addOption(new Option('--no-wait', 'the same as -n'))
    .addOption(
      new Option('--grace <duration>', 'after losing the lock: time from SIGTERM to SIGKILL')
        .default(10_000, '10s')
        .argParser(durationArg(0)),
    )
    .option('--owner <label>', 'label shown by `baton locks` (default: host/pid)')
    .option('-q, --quiet', "no messages of baton's own on stderr, except errors")
    .addOption(backendOption())
    .passThroughOptions()
    .addHelpText(
      'after',
      `${examples([
        'export BATON_URL=http://127.0.0.1:7070        # memory:// would be private to this one process',
        'baton run --lock deploy -- ./deploy.sh prod',
        'baton run --lock nightly -n --ttl 1m -- node nightly.js    # crontab on every machine',
        'baton run --lock migrate -w 600 -- npm run migrate         # wait up to 600 s (or -w 10m)',
        'baton run --semaphore gpu --permits 4 -- python train.py   # at most 4 at once across the fleet',
        'baton run --rwlock schema --write -- npm run migrate       # while others run with --read',
        `baton run --lock report -- sh -c 'baton dict set reports latest "$(./report)" --fence "$BATON_LOCK:$BATON_FENCE"'`,
      ])}

The command gets BATON_LOCK (the lock name; BATON_SEMAPHORE or BATON_RWLOCK instead for those),
BATON_FENCE (this grant's fencing token; pass it with writes so a store refuses them once a newer
holder wrote), BATON_FENCE_LOCK (what the fence belongs to: the lock name, semaphore/NAME or
rwlock/NAME, so --fence "$BATON_FENCE_LOCK:$BATON_FENCE" works for all three) and BATON_URL.
Durations (--ttl, -w, --grace): a bare number is seconds, as in flock -w and timeout (--ttl 30,
-w 0.5); or give a unit: 500ms, 10s, 1.5s, 5m, 2h, 1d.
Exit: the command's status (128+n after signal n); 75 busy; 70 lease lost while the command ran
(it got SIGTERM, then SIGKILL after --grace); 69 backend unreachable; 2 usage; 126/127 cannot run.

Signals: SIGTERM, SIGHUP and SIGUSR2 sent to baton are passed to the command. The command shares
baton's terminal and process group, so Ctrl-C and Ctrl-\\ reach it from the terminal, once:
SIGINT and SIGQUIT are passed on only when baton and the command are not both in the terminal's
foreground group (Linux; elsewhere always). In that foreground, kill -INT to baton's pid alone is
therefore not passed on: signal the group (kill -INT -PGID) or use SIGTERM. Before the command
starts, any of these signals ends the wait with 128+n.
If baton dies, even by kill -9, a guard process (/bin/sh, its own session) kills the command and
the processes under it with SIGKILL at once (on Linux through /proc; elsewhere the command's own
process only), so it does not run on past the lease. Not reached: processes that left the
command's tree before (double-forked daemons).`,
    )
    .action(async (argv: string[], flags: RunFlags, cmd: Command) => {
      checkTarget(flags);
      process.exitCode = await runLocked(cmd, argv, flags);
    });
}

async function runLocked(cmd: Command, argv: readonly string[], flags: RunFlags): Promise<number> {
  const say = flags.quiet ? () => undefined : note;
  const waitMs = flags.nonblock || flags.wait === false ? 0 : (flags.wait ?? Number.POSITIVE_INFINITY);
  const stop = new AbortController();
  let received: NodeJS.Signals | undefined;
  let running: Supervised | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (running) running.forward(signal);
    else {
      received ??= signal;
      stop.abort(new Error(`interrupted by ${signal}`));
    }
  };
  for (const s of FORWARDED) process.on(s, onSignal);
  try {
    return await withBaton(cmd, async (baton) => {
      const target = runTarget(baton, flags);
      let lease: Lease | null;
      try {
        lease = await take(target, waitMs, stop.signal, say);
      } catch (err) {
        if (received) return 128 + (constants.signals[received] ?? 0);
        throw err;
      }
      if (!lease) return EXIT.BUSY;
      if (received) {
        await lease.release().catch(() => false);
        return 128 + (constants.signals[received] ?? 0);
      }
      try {
        running = supervise(lease, argv, {
          graceMs: flags.grace,
          say,
          label: target.label,
          env: { ...process.env, BATON_URL: flags.backend, ...target.env(lease) },
        });
        return await running.done;
      } finally {
        await lease.release().catch((err: unknown) => {
          say(`could not release ${target.label} (${(err as Error).message}); it ends at its TTL`);
        });
      }
    });
  } finally {
    for (const s of FORWARDED) process.off(s, onSignal);
  }
}

/**
 * take tries the target once, then (unless waitMs is 0) says who holds it and waits, retrying
 * through backend outages until the wait is spent. Resolves null when not granted in time.
 */
async function take(
  target: RunTarget,
  waitMs: number,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<Lease | null> {
  const deadline = performance.now() + waitMs;
  let waiting = false;
  let outage = false;
  for (;;) {
    try {
      const remaining = Math.max(0, Math.floor(deadline - performance.now()));
      const lease = waiting
        ? await target.acquire(Number.isFinite(waitMs) ? remaining : waitMs, signal)
        : await target.tryAcquire();
      if (lease) {
        if (waiting) say(`got ${target.label} (fence ${lease.fence})`);
        return lease;
      }
      const holder = await target.holders().catch(() => '');
      if (waitMs === 0) {
        say(`${target.label} is busy${holder}; not waiting (--no-wait)`);
        return null;
      }
      say(
        `${target.label} is busy${holder}; waiting${Number.isFinite(waitMs) ? ` up to ${formatDuration(waitMs)}` : ''}…`,
      );
      waiting = true;
    } catch (err) {
      if (err instanceof LockTimeoutError) {
        say(`${target.label} was not granted within ${formatDuration(waitMs)} (--wait)`);
        return null;
      }
      if (signal.aborted || !(err instanceof BackendUnavailableError) || performance.now() >= deadline)
        throw err;
      if (!outage) say(`${err.message}; retrying until the wait is over`);
      outage = true;
      await sleep(1_000, undefined, { signal });
      waiting = true;
    }
  }
}
