/**
 * Whether a terminal signal has already reached `baton run`'s command. Ctrl-C and Ctrl-\ make
 * the terminal send SIGINT and SIGQUIT to its whole foreground process group, so when baton and
 * its command are both in that group the command got the signal from the terminal itself, and
 * forwarding it again would make one keypress two signals (a command that takes a second SIGINT
 * as "force quit" would do so).
 *
 * On Linux this reads /proc/self/stat and /proc/<pid>/stat (fields pgrp and tpgid). Elsewhere it
 * cannot tell and answers false, so baton forwards as before.
 *
 * How it fails: never throws; a process or file that cannot be read answers false.
 */
import { readFileSync } from 'node:fs';

interface Stat {
  readonly pgrp: number;
  /** tpgid is the foreground process group of the process's controlling terminal, -1 without one. */
  readonly tpgid: number;
}

/**
 * reachedByTerminal says whether process `pid` shares baton's process group and that group is the
 * foreground group of baton's terminal, at this moment: then a SIGINT or SIGQUIT the terminal
 * generated reached it too. False when it cannot be told (not Linux, `pid` gone).
 */
export function reachedByTerminal(pid: number): boolean {
  const self = readStat('self');
  if (!self || self.tpgid <= 0 || self.pgrp !== self.tpgid) return false;
  return readStat(String(pid))?.pgrp === self.pgrp;
}

function readStat(proc: string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${proc}/stat`, 'utf8');
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid …; comm may hold spaces and ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return Number.isInteger(pgrp) && Number.isInteger(tpgid) ? { pgrp, tpgid } : undefined;
  } catch {
    return undefined;
  }
}
