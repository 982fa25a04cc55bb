/**
 * runExample runs one example script as a user would (`node examples/…/x.mjs`, importing baton by
 * its package name) with `env` added and BATON_URL removed unless given, and resolves to its exit
 * code and output. It rejects only if the process cannot be started; a hang is killed after
 * `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** ExampleResult is how an example process ended and what it printed. */
export interface ExampleResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** runExample runs `examples/<path>` (relative to examples/) and resolves when it ends. */
export function runExample(
  path: string,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<ExampleResult> {
  const script = fileURLToPath(new URL(`../${path}`, import.meta.url));
  const base = { ...process.env };
  delete base.BATON_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
