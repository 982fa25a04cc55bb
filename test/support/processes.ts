/**
 * Server processes and temp dirs for tests, tracked so that nothing outlives the test run.
 *
 * Every process started by `spawnServer` and every dir made by `makeTempDir` is tracked until it is
 * stopped or removed. Leftovers are cleaned up three ways:
 * - `cleanUpAll()`, called by the global teardown;
 * - a `process.on('exit')` hook (normal exit, `process.exit()`);
 * - a watchdog: a small detached node process that holds a pipe to this one and, when the pipe
 *   closes because this process died in any way (vitest ends its fork workers with SIGTERM, which
 *   skips exit hooks), SIGKILLs the tracked pids and removes the tracked dirs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OUTPUT_LIMIT = 64 * 1024;
const KILL_AFTER_MS = 10_000;

/** ServerProcess is one server process started by `spawnServer`. */
export interface ServerProcess {
  readonly pid: number;
  /** exited resolves, never rejects, when the process is gone: with its exit code or signal name. */
  readonly exited: Promise<string>;
  /** hasExited tells whether the process is gone. */
  hasExited(): boolean;
  /** output returns the tail of the process's stdout and stderr, at most `maxChars` long. */
  output(maxChars?: number): string;
  /** stop sends `signal` and waits for exit; SIGKILLs after 10 s if the process ignores it. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let watchdog: ChildProcess | undefined;

/** spawnServer starts `command` with stdout and stderr kept in a ring buffer; throws if it cannot be spawned. */
export async function spawnServer(command: string, args: readonly string[]): Promise<ServerProcess> {
  installCleanup();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT / 2);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let gone = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true;
      children.delete(child);
      tellWatchdog(`-p${child.pid}`);
      resolve(signal ?? `exit code ${code}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`cannot start ${command}: ${err.message}`)));
  });
  child.on('error', () => {}); // after spawn, only a failed kill(); `exited` tells the rest
  const pid = child.pid!;
  children.add(child);
  tellWatchdog(`+p${pid}`);
  return {
    pid,
    exited,
    hasExited: () => gone,
    output: (maxChars = 3000) => output.slice(-maxChars),
    async stop(signal) {
      if (gone) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** makeTempDir creates a fresh private dir under the OS temp dir, removed by `removeTempDir` or at exit. */
export async function makeTempDir(prefix: string): Promise<string> {
  installCleanup();
  const dir = await mkdtemp(join(tmpdir(), `baton-test-${prefix}-`));
  dirs.add(dir);
  tellWatchdog(`+d${dir}`);
  return dir;
}

/** removeTempDir deletes a dir made by `makeTempDir`; missing dirs are fine. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  dirs.delete(dir);
  tellWatchdog(`-d${dir}`);
}

/** cleanUpAll SIGKILLs every tracked process still running and removes every tracked dir. */
export async function cleanUpAll(): Promise<void> {
  const running = [...children];
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  await Promise.all([...dirs].map(removeTempDir));
}

function cleanUpSync(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function installCleanup(): void {
  if (watchdog !== undefined) return;
  process.once('exit', cleanUpSync);
  watchdog = spawn(process.execPath, ['--input-type=commonjs', '-e', WATCHDOG_SCRIPT], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => {});
  watchdog.stdin?.on('error', () => {});
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
}

function tellWatchdog(line: string): void {
  watchdog?.stdin?.write(`${line}\n`);
}

/** WATCHDOG_SCRIPT reads "+p<pid>", "-p<pid>", "+d<dir>", "-d<dir>" lines; on end of input it cleans up. */
const WATCHDOG_SCRIPT = `
const { readFileSync, rmSync } = require('node:fs');
const pids = new Set();
const dirs = new Set();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (data) => {
  const lines = (pending + data).split('\\n');
  pending = lines.pop();
  for (const line of lines) {
    const set = line[1] === 'p' ? pids : dirs;
    const item = line[1] === 'p' ? Number(line.slice(2)) : line.slice(2);
    if (line[0] === '+') set.add(item); else set.delete(item);
  }
});
process.stdin.on('end', () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  const alive = (pid) => {
    try { return !/^\\d+ \\(.*\\) Z/.test(readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch {}
    try { process.kill(pid, 0); return true; } catch { return false; }
  };
  const deadline = Date.now() + 3000;
  const finish = () => {
    if ([...pids].some(alive) && Date.now() < deadline) return setTimeout(finish, 50);
    for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  };
  finish();
});
`;
