/**
 * spawnServe starts `baton serve` as a real child process (src/cli/main.ts through tsx), waits
 * for its "baton listening" log line and returns its URL. The process is killed after the test
 * file if it is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/** Served is a running `baton serve` process. */
export interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  /** output is everything it printed so far (stdout and stderr). */
  readonly output: () => string;
  /** exited resolves with the exit code (or signal name) once the process ends. */
  readonly exited: Promise<number | string>;
}

/** runServe runs `baton serve` with `args` and resolves to its exit status and output, for refusals. */
export function runServe(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** spawnServe starts `baton serve --port 0 …args` and resolves once it listens. */
export async function spawnServe(args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baton serve did not start:\n${output}`)), 30_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"baton listening"/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`baton serve exited with ${code}:\n${output}`));
    });
  });
  return { url, child, output: () => output, exited };
}
