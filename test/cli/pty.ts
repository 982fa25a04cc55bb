/**
 * Runs a shell command line in a real pseudo-terminal with util-linux `script(1)`: the command is
 * the pty's session leader and its process group is the terminal's foreground group, as in an
 * interactive shell without job control. What the test writes goes to the terminal (so "\x03"
 * is a real Ctrl-C, turned into SIGINT for the foreground group by the line discipline), and
 * everything the terminal shows is collected. `PTY_SKIP` says why pty tests cannot run here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll } from 'vitest';

const SCRIPT = '/usr/bin/script';

/**
 * PTY_SKIP is the reason pty tests are skipped (script(1) missing on a developer's machine), or ''
 * when they run. Under CI it is always '': a missing script(1) (Debian's bsdutils, an essential
 * package) then fails the tests instead of hiding them.
 */
export const PTY_SKIP =
  existsSync(SCRIPT) || process.env.CI !== undefined ? '' : `${SCRIPT} (util-linux) is not installed`;
if (PTY_SKIP) console.warn(`skipping terminal tests: ${PTY_SKIP}`);

/** PtyProcess is a command running in a terminal. */
export interface PtyProcess {
  /** type writes to the terminal as if typed. */
  type(text: string): void;
  /** output is everything the terminal showed so far. */
  output(): string;
  /** waitFor resolves once the output matches `re`; rejects after `timeoutMs` or if it ends first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** exited resolves to the command's exit status once it (and script) ended. */
  readonly exited: Promise<number | null>;
  /** kill ends script(1), which hangs up the terminal. */
  kill(): void;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

/** startPty runs `/bin/sh -c commandLine` in a new pty, with `env` added to this process's environment. */
export function startPty(commandLine: string, env: Record<string, string> = {}): PtyProcess {
  const base = { ...process.env };
  delete base.BATON_URL;
  delete base.BATON_TOKEN;
  const child = spawn(SCRIPT, ['-q', '-f', '-e', '-c', commandLine, '/dev/null'], {
    env: { ...base, SHELL: '/bin/sh', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      resolve(code);
      for (const l of listeners) l();
    });
  });
  return {
    type: (text) => child.stdin?.write(text),
    output: () => out,
    exited,
    kill: () => child.kill('SIGKILL'),
    waitFor(re, timeoutMs = 40_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${commandLine} ended before printing ${re}:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${commandLine} did not print ${re} in ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}
