/** The server binaries the tests run, and installing them where we can. */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const REQUIRED = ['redis-server', 'redis-cli', 'etcd'] as const;
const PACKAGES = ['redis-server', 'etcd-server'] as const;
const HOW_TO = `baton tests need redis-server, redis-cli and etcd: run 'sudo apt-get install -y ${PACKAGES.join(' ')}'`;

/** missingBinaries lists the required binaries (redis-server, redis-cli, etcd) not found on PATH. */
export function missingBinaries(): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return REQUIRED.filter((name) => !dirs.some((dir) => isExecutable(join(dir, name))));
}

/**
 * ensureBinaries makes sure redis-server, redis-cli and etcd are on PATH. When some are missing it
 * installs them with apt-get if running as root, and otherwise throws an Error whose message is one
 * line saying what to install (also when the install fails).
 */
export function ensureBinaries(): void {
  if (missingBinaries().length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(HOW_TO);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const stdio = ['ignore', 'inherit', 'inherit'] as const;
  try {
    execFileSync('apt-get', ['update'], { env, stdio: [...stdio] });
    execFileSync('apt-get', ['install', '-y', ...PACKAGES], { env, stdio: [...stdio] });
  } catch (err) {
    throw new Error(
      `${HOW_TO} (automatic install failed: ${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const still = missingBinaries();
  if (still.length > 0) throw new Error(`${HOW_TO} (still missing after install: ${still.join(', ')})`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
