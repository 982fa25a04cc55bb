/**
 * Runs the built `baton` CLI (dist/cli/main.js, as `npm test` builds it before vitest) as a real
 * child process: `cli()` waits for it to end; `startCli()` returns a handle on a long-running one
 * (run, watch) that a test can signal, pause and read. Every process a test starts is killed
 * after the test file if it is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, vi } from 'vitest';

/** MAIN is the built CLI entry point. */
export const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** CliResult is how a CLI process ended and what it printed. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** CliProcess is a running CLI process. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** waitFor resolves once stdout (or stderr) matches `re`; rejects after `timeoutMs` or if the process ends first. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray>;
  /** exited resolves once the process has ended. */
  readonly exited: Promise<CliResult>;
}

/**
 * CLI_DEADLINE_MS bounds one CLI process (`cli()` kills it after this) and one `waitFor`. A `baton`
 * process costs about a CPU-second to start (`baton --help`: 0.8 s user + 0.25 s sys), so on a busy
 * 2-core machine a call took over 20 s and was killed mid-test; the deadlines only bound a failure.
 */
export const CLI_DEADLINE_MS = 60_000;

// A test here runs several CLI processes in a row; the suite's 30 s default did not fit them on a
// loaded machine. Tests that give their own timeout keep it.
vi.setConfig({ testTimeout: 4 * CLI_DEADLINE_MS });

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * startCli starts `baton …args` with `env` added to this process's environment (BATON_URL and
 * BATON_TOKEN removed first); with `shell`, it runs that program with `args` instead.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  input?: string,
  shell?: string,
): CliProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before these tests`);
  const base = { ...process.env };
  delete base.BATON_URL; // each test says which backend it means
  delete base.BATON_TOKEN;
  const child = spawn(shell ?? process.execPath, shell ? args : [MAIN, ...args], {
    env: { ...base, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin?.end(input);
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout: out, stderr: err });
      for (const l of listeners) l();
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, stream = 'stdout', timeoutMs = CLI_DEADLINE_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(stream === 'stdout' ? out : err);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`baton ${args.join(' ')} ended before printing ${re}:\n${out}\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`baton ${args.join(' ')} did not print ${re} in ${timeoutMs} ms:\n${out}\n${err}`),
          );
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

/** cli runs `baton …args` to its end (killed after `timeoutMs`); with `shell`, runs that program with `args` instead. */
export async function cli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { input?: string; timeoutMs?: number; shell?: string } = {},
): Promise<CliResult> {
  const p = startCli(args, env, options.input, options.shell);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), options.timeoutMs ?? CLI_DEADLINE_MS);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** uniqueName returns a fresh lock or dict name for one test. */
export function uniqueName(base: string): string {
  return `${base}-${Math.random().toString(36).slice(2, 10)}`;
}

/** jsonLines parses stdout made of JSON lines. */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}
