/** The server binaries the tests run, and installing them where we can. */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each binary the tests run, and the Debian package that has it. */
const BINARIES = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-server',
  etcd: 'etcd-server',
  chromium: 'chromium',
} as const;
type Binary = keyof typeof BINARIES;
const SERVERS: readonly Binary[] = ['redis-server', 'redis-cli', 'etcd'];

/** Which binaries a run needs: the servers always, chromium for the dashboard's browser test. */
export interface BinaryNeeds {
  readonly browser?: boolean;
}

function required({ browser = true }: BinaryNeeds): Binary[] {
  return browser ? [...SERVERS, 'chromium'] : [...SERVERS];
}

function howTo(names: readonly Binary[]): string {
  const packages = [...new Set(names.map((name) => BINARIES[name]))];
  return `baton tests need ${names.join(', ')}: run 'sudo apt-get install -y ${packages.join(' ')}'`;
}

/** missingBinaries lists the binaries a run needs (see BinaryNeeds) that are not on PATH. */
export function missingBinaries(needs: BinaryNeeds = {}): Binary[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return required(needs).filter((name) => !dirs.some((dir) => isExecutable(join(dir, name))));
}

/**
 * ensureBinaries makes sure the binaries a run needs are on PATH. When some are missing it
 * installs their packages with apt-get if running as root, and otherwise throws an Error whose
 * message is one line saying what to install (also when the install fails).
 */
export function ensureBinaries(needs: BinaryNeeds = {}): void {
  const missing = missingBinaries(needs);
  if (missing.length === 0) return;
  const HOW_TO = howTo(required(needs));
  if (process.getuid?.() !== 0) throw new Error(HOW_TO);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const stdio = ['ignore', 'inherit', 'inherit'] as const;
  const packages = [...new Set(missing.map((name) => BINARIES[name]))];
  try {
    execFileSync('apt-get', ['update'], { env, stdio: [...stdio] });
    execFileSync('apt-get', ['install', '-y', ...packages], { env, stdio: [...stdio] });
  } catch (err) {
    throw new Error(
      `${HOW_TO} (automatic install failed: ${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const still = missingBinaries(needs);
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
