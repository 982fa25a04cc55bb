/**
 * `baton run` and signals, with the built CLI in a real pseudo-terminal (script(1)) and as a
 * plain child process, against a real server on an ephemeral port:
 * - one Ctrl-C is one SIGINT for the command (the terminal already signals the whole foreground
 *   process group, so baton must not forward it again), and an interactive command keeps the
 *   terminal (it stays in the foreground group and reads what is typed);
 * - Ctrl-C while baton still waits for the lock ends it with 130, runs nothing, leaves no waiter;
 * - `kill -9` of baton stops its command and the command's own children before the lease could
 *   expire, so the next `baton run` runs alone (no overlap), with and without a terminal.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/support/server.js';
import { PTY_SKIP, type PtyProcess, startPty } from './pty.js';
import { type CliProcess, cli, MAIN, startCli, uniqueName } from './support.js';

const NODE = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'baton-run-signals-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
// COUNTER counts the SIGINTs it gets; on SIGUSR2 (which baton forwards) it prints the count and
// exits. It is a shell script because a shell runs pending traps in signal-number order (SIGINT
// before SIGUSR2) on its one thread, where Node could handle two signals on different threads.
const COUNTER = file(
  'counter.sh',
  `n=0
trap 'n=$((n+1)); echo "sigint $n"' INT
trap 'echo "count $n"; exit 0' USR2
echo "ready $$ $PPID"
while :; do sleep 1 & wait $!; done
`,
);
// READER says whether it is in its terminal's foreground process group, then reads one line from it.
const READER = file(
  'reader.cjs',
  `const stat = require('fs').readFileSync('/proc/self/stat', 'utf8');
const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
console.log('foreground ' + (f[2] === f[5]) + ' tty ' + process.stdin.isTTY);
process.stdin.once('data', (d) => { console.log('got ' + d.toString().trim()); process.exit(0); });`,
);
// JOB is a shell script whose real work is a child process (HEARTBEAT): run 1 beats for ever,
// run 2 beats three times. Each run logs start-N and end-N to $LOG.
const HEARTBEAT = file(
  'heartbeat.cjs',
  `let beats = 0;
console.log('hb ' + process.pid);
setInterval(() => {
  require('fs').writeFileSync(process.env.BEAT, String(++beats));
  if (process.env.RUN === '2' && beats >= 3) process.exit(0);
}, 50);`,
);
const JOB = file(
  'job.sh',
  `echo "start-$RUN" >> "$LOG"
echo "sh $$ $PPID"
"$NODE" "$HEARTBEAT"
echo "end-$RUN" >> "$LOG"
`,
);
const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const BATON = `${q(NODE)} ${q(MAIN)}`;

let s: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  s = await startTestServer('memory://cli-run-signals', { logLevel: 'warn' });
  env = { BATON_URL: s.url };
});
afterAll(() => s?.stop());

describe.skipIf(PTY_SKIP !== '')('baton run in a terminal', { timeout: 90_000 }, () => {
  it('one Ctrl-C reaches the command once', async () => {
    const lock = uniqueName('pty-ctrl-c');
    // The shell ignores SIGINT so that Ctrl-C does not end it (and the terminal) under baton.
    const p = startPty(`trap '' INT; ${BATON} run --lock ${lock} -q -- /bin/sh ${q(COUNTER)}; exit $?`, env);
    const [, , batonPid] = await p.waitFor(/ready (\d+) (\d+)/);
    // baton is stopped while the terminal's SIGINT reaches the command, so that a SIGINT baton
    // forwards cannot merge with that one in the command's pending signals: it would be a second.
    process.kill(Number(batonPid), 'SIGSTOP');
    try {
      p.type('\x03');
      await p.waitFor(/sigint 1/);
    } finally {
      process.kill(Number(batonPid), 'SIGCONT');
    }
    // SIGUSR2 goes to baton once it has taken the SIGINT (so it reaches the command after any
    // SIGINT baton forwards): the count printed then is every SIGINT the command will ever see.
    await untilNotPending(Number(batonPid), 'SIGINT');
    process.kill(Number(batonPid), 'SIGUSR2');
    const [, count] = await p.waitFor(/count (\d+)/);
    expect(count, p.output()).toBe('1');
    expect(await p.exited).toBe(0);
    expect(await s.baton.lock(lock).inspect()).toMatchObject({ held: false });
  });

  it('an interactive command keeps the terminal: it is in the foreground and reads what is typed', async () => {
    const lock = uniqueName('pty-read');
    const p = startPty(`exec ${BATON} run --lock ${lock} -q -- ${q(NODE)} ${q(READER)}`, env);
    await p.waitFor(/foreground (\w+) tty (\w+)/);
    expect(p.output()).toContain('foreground true tty true');
    p.type('hello\r');
    await p.waitFor(/got hello/);
    expect(await p.exited).toBe(0);
  });

  it('Ctrl-C while waiting for the lock exits 130, runs nothing and leaves no waiter behind', async () => {
    const lock = uniqueName('pty-wait');
    const held = await s.baton.lock(lock).acquire();
    let released = false;
    try {
      const p = startPty(`exec ${BATON} run --lock ${lock} -- ${q(NODE)} -e 'console.log("ran")'`, env);
      await p.waitFor(/waiting…/);
      p.type('\x03');
      expect(await p.exited).toBe(130);
      expect(p.output()).not.toContain('ran\r\n');
      released = await held.release();
      const next = await s.baton.lock(lock).tryAcquire();
      expect(next?.fence).toBe(2); // nobody was queued ahead: the interrupted waiter is gone
      await next?.release();
    } finally {
      if (!released) await held.release();
    }
  });

  it('kill -9 of baton stops the command and its children before the lease could expire', {
    timeout: 120_000,
  }, async () => {
    const lock = uniqueName('pty-kill9');
    const { log, runEnv } = jobFiles();
    // Not exec'd: the shell stays the session leader and keeps the terminal open after baton dies,
    // so nothing but baton's own doing can stop the command.
    const p = startPty(
      `${BATON} run --lock ${lock} --ttl 8s -q -- /bin/sh ${q(JOB)}; echo "baton ended $?"; exec sleep 120`,
      { ...env, ...runEnv, RUN: '1' },
    );
    try {
      await killBatonAndCheck(lock, log, runEnv, p);
    } finally {
      p.kill();
    }
  });
});

describe('baton run and kill -9', () => {
  it('kill -9 of baton stops the command and its children before the lease could expire; the next run runs alone', {
    timeout: 120_000,
  }, async () => {
    const lock = uniqueName('kill9');
    const { log, runEnv } = jobFiles();
    const p = startCli(['run', '--lock', lock, '--ttl', '8s', '-q', '--', '/bin/sh', JOB], {
      ...env,
      ...runEnv,
      RUN: '1',
    });
    await killBatonAndCheck(lock, log, runEnv, p);
  });
});

function jobFiles() {
  const log = join(dir, `${uniqueName('log')}.txt`);
  const beat = join(dir, `${uniqueName('beat')}.txt`);
  return { log, runEnv: { LOG: log, BEAT: beat, NODE, HEARTBEAT } };
}

/**
 * killBatonAndCheck waits for run 1's script and heartbeat, SIGKILLs baton (the script's parent),
 * requires both to be gone while the lease still had time left, then runs run 2 and requires the
 * log to show run 1 never went on: start-1 start-2 end-2.
 */
async function killBatonAndCheck(
  lock: string,
  log: string,
  runEnv: Record<string, string>,
  p: CliProcess | PtyProcess,
): Promise<void> {
  // Generous: on a loaded machine starting baton and its command takes seconds.
  const wait = (re: RegExp) => ('pid' in p ? p.waitFor(re, 'stdout', 40_000) : p.waitFor(re, 40_000));
  const [, shPid, batonPid] = await wait(/sh (\d+) (\d+)/);
  const [, hbPid] = await wait(/hb (\d+)/);
  const pids = [Number(shPid), Number(hbPid)];
  const info = await s.baton.lock(lock).inspect();
  expect(info.held).toBe(true);
  const expiresAt = info.expiresAt ?? 0;
  process.kill(Number(batonPid), 'SIGKILL');
  try {
    while (pids.some(alive)) {
      if (Date.now() >= expiresAt) {
        throw new Error(
          `the command (pids ${pids.filter(alive).join(', ')}) outlived baton past the lease's expiry`,
        );
      }
      await sleep(20);
    }
  } finally {
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  }
  const second = await cli(
    ['run', '--lock', lock, '--wait', '30s', '-q', '--', '/bin/sh', JOB],
    { ...env, ...runEnv, RUN: '2' },
    { timeoutMs: 40_000 },
  );
  expect(second.code, second.stderr).toBe(0);
  expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toEqual(['start-1', 'start-2', 'end-2']);
}

/** alive says whether a process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** untilNotPending waits until `signal` is no longer pending for process `pid` (its handler has taken it). */
async function untilNotPending(pid: number, signal: NodeJS.Signals): Promise<void> {
  const bit = 1n << BigInt((constants.signals[signal] ?? 1) - 1);
  for (;;) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const pending = /^ShdPnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
    if ((BigInt(`0x${pending}`) & bit) === 0n) return;
    await sleep(10);
  }
}
