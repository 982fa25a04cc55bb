/**
 * The orphan guard stops `baton run`'s command when baton dies without having seen it end, even
 * by SIGKILL (which no handler of baton's can catch): otherwise the command would go on with no
 * one extending its lease, and once the TTL ran out a second holder would run beside it.
 *
 * The guard is a small /bin/sh process in a session of its own (so Ctrl-C, a terminal hangup or
 * a signal to baton's process group does not reach it) whose stdin is a pipe from baton. Baton
 * writes the command's pid once it has started, and `done` once it has ended. When the pipe
 * reaches its end without `done`, baton is gone (the kernel closes a dead process's pipes at
 * once, whatever killed it), and the guard kills the command and the processes under it: it stops
 * each with SIGSTOP (so it cannot start more), finds its children in /proc/<pid>/task/<tid>/children,
 * does the same to them, then sends SIGKILL. SIGKILL, not SIGTERM then a grace period, because the
 * lease may expire at any moment now. Where there is no /proc (not Linux) only the command's own
 * process is killed.
 *
 * What it does not reach: processes that left the command's tree before baton died (a daemon that
 * double-forked, children of a process that had already exited), and a command started between
 * baton's death and its pid reaching the guard (microseconds, baton writes it at once).
 *
 * How it fails: never throws. If the guard cannot be started or dies early, `say` reports that the
 * command would outlive a kill -9 of baton, and the command runs unguarded as before.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const SCRIPT = `
kill_tree() {
  kill -STOP "$1" 2>/dev/null || return 0
  local t kids k
  for t in /proc/"$1"/task/*; do
    kids=''
    read -r kids < "$t/children" 2>/dev/null
    for k in $kids; do kill_tree "$k"; done
  done
  kill -KILL "$1" 2>/dev/null
}
IFS= read -r pid || exit 0
[ "$pid" = done ] && exit 0
IFS= read -r line
[ "$line" = done ] && exit 0
kill_tree "$pid"
`;

/** OrphanGuard watches one command on baton's behalf. */
export interface OrphanGuard {
  /** watch names the command's pid; call it as soon as the command has started. */
  watch(pid: number): void;
  /** release tells the guard the command has ended (or never started): it exits and kills nothing. */
  release(): void;
}

/** startOrphanGuard starts the guard; call before starting the command. */
export function startOrphanGuard(say: (line: string) => void): OrphanGuard {
  let guard: ChildProcess | undefined;
  let released = false;
  const unguarded = (why: string) => {
    if (!released) say(`cannot guard the command (${why}); it would outlive a kill -9 of baton`);
    released = true;
  };
  try {
    guard = spawn('/bin/sh', ['-c', SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  } catch (err) {
    unguarded((err as Error).message);
  }
  guard?.once('error', (err) => unguarded(err.message));
  guard?.once('exit', () => unguarded('the guard process ended'));
  guard?.stdin?.on('error', () => undefined); // an early guard exit is reported by 'exit'
  guard?.unref();
  (guard?.stdin as { unref?: () => void } | null | undefined)?.unref?.();
  return {
    watch(pid) {
      if (!released) guard?.stdin?.write(`${pid}\n`);
    },
    release() {
      if (released) return;
      released = true;
      guard?.stdin?.end('done\n');
    },
  };
}
