/**
 * supervise runs a command as a child process while a lease is held, and decides baton's exit
 * code: the command's own status (128+n when signal n ended it), or 70 when the lease was lost
 * while it ran. On loss the command gets SIGTERM at once and SIGKILL after the grace period,
 * because whatever it does next is no longer protected by the lock (fenced writes stay safe:
 * the store refuses them, see docs/SAFETY.md).
 *
 * Signals go to the command's process only. A shell script that starts other programs should
 * `exec` the last one or trap TERM, as under any supervisor. The command stays in baton's process
 * group, so in a terminal it keeps the terminal (reads input, gets Ctrl-C from it); a SIGINT or
 * SIGQUIT is therefore not forwarded while baton and the command are in the terminal's foreground
 * group, as the terminal sent it to both (see foreground.ts). If baton dies, even by SIGKILL, the
 * orphan guard kills the command and the processes under it (see orphan-guard.ts).
 *
 * How it fails: never rejects. A command that cannot be started resolves 127 (not found) or
 * 126 (not executable) after saying why, as sh does.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Lease, LockLostError } from '../index.js';
import { formatDuration } from './duration.js';
import { EXIT } from './exit-codes.js';
import { reachedByTerminal } from './foreground.js';
import { startOrphanGuard } from './orphan-guard.js';

/** SuperviseOptions say how to run the command and how to report. */
export interface SuperviseOptions {
  /** graceMs is the time between SIGTERM and SIGKILL after the lease is lost. */
  readonly graceMs: number;
  /** env is the command's environment. */
  readonly env: NodeJS.ProcessEnv;
  /** say reports one line to the user (stderr), or nothing when quiet. */
  readonly say: (line: string) => void;
  /** label names what the lease holds in messages (default `lock "<name>"`). */
  readonly label?: string;
}

/** Supervised is a running command. */
export interface Supervised {
  /**
   * forward passes a signal that baton received on to the command, while it runs; not a SIGINT or
   * SIGQUIT that the terminal already sent to the command (both in its foreground process group).
   */
  forward(signal: NodeJS.Signals): void;
  /** done resolves to baton's exit code once the command has ended. */
  readonly done: Promise<number>;
}

/** supervise starts `argv` and watches `lease` until the command ends. */
export function supervise(lease: Lease, argv: readonly string[], options: SuperviseOptions): Supervised {
  const [file = '', ...args] = argv;
  const { graceMs, say } = options;
  const label = options.label ?? `lock "${lease.name}"`;
  const guard = startOrphanGuard(say);
  const child = spawn(file, args, { stdio: 'inherit', env: options.env });
  if (child.pid !== undefined) guard.watch(child.pid);
  let lost = false;
  let kill: NodeJS.Timeout | undefined;
  const onLost = () => {
    lost = true;
    const why = (lease.signal.reason as LockLostError | undefined)?.reason ?? 'lost';
    say(
      `lost the ${label} (${why.replace('_', ' ')}) while the command ran; stopping it: SIGTERM now, SIGKILL in ${formatDuration(graceMs)}`,
    );
    child.kill('SIGTERM');
    kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
  };
  lease.signal.addEventListener('abort', onLost, { once: true });

  const done = new Promise<number>((resolve) => {
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      guard.release();
      clearTimeout(kill);
      lease.signal.removeEventListener('abort', onLost);
      resolve(code);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a failed kill of a running child: 'exit' follows
      const missing = err.code === 'ENOENT';
      say(`cannot run ${JSON.stringify(file)}: ${missing ? 'command not found' : err.message}`);
      finish(missing ? EXIT.COMMAND_NOT_FOUND : EXIT.CANNOT_EXECUTE);
    });
    child.once('exit', (code, signal) => {
      if (lost || lease.lost) {
        if (!lost) say(`the lease on ${label} ended before the command did`);
        say(`exiting ${EXIT.LEASE_LOST}: the command did not run under the ${label} to its end`);
        finish(EXIT.LEASE_LOST);
        return;
      }
      finish(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });

  return {
    forward(signal) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      // Ctrl-C or Ctrl-\ in the terminal: the terminal signalled the command itself already.
      if ((signal === 'SIGINT' || signal === 'SIGQUIT') && reachedByTerminal(child.pid)) return;
      child.kill(signal);
    },
    done,
  };
}
