/**
 * `baton semaphores` and `baton rwlocks` list the semaphores and read-write locks held right now
 * (a table with one row per holder, or one JSON object per semaphore or rwlock with --json);
 * `baton semaphore inspect NAME` and `baton rwlock inspect NAME` print one as JSON. None ever
 * shows a token. To hold one, use `baton run --semaphore` or `baton run --rwlock`.
 *
 * How it fails: exit 2 for a bad name or flag, 69 when the backend is unreachable, 1 when the
 * backend has no semaphores or read-write locks (Redlock).
 */
import { type Command, Option } from 'commander';
import type { Baton, RwLockInfo, SemaphoreInfo } from '../index.js';
import { formatDuration } from './duration.js';
import { examples } from './help.js';
import { backendOption, intArg, printJson, withBaton } from './options.js';
import { formatTable } from './table.js';

interface PoolCommands<I> {
  readonly singular: 'semaphore' | 'rwlock';
  readonly title: string;
  list(baton: Baton, options: { prefix?: string | undefined; limit: number }): Promise<I[]>;
  inspect(baton: Baton, name: string): Promise<I>;
  table(items: readonly I[], now: number): string;
}

const SEMAPHORES: PoolCommands<SemaphoreInfo> = {
  singular: 'semaphore',
  title: 'semaphores',
  list: (baton, options) => baton.listSemaphores(options),
  inspect: (baton, name) => baton.semaphore(name).inspect(),
  table: semaphoreTable,
};

const RWLOCKS: PoolCommands<RwLockInfo> = {
  singular: 'rwlock',
  title: 'read-write locks',
  list: (baton, options) => baton.listRwLocks(options),
  inspect: (baton, name) => baton.rwlock(name).inspect(),
  table: rwlockTable,
};

/** registerPools adds `baton semaphores`, `baton rwlocks` and their `inspect` to the program. */
export function registerPools(program: Command): void {
  register(program, SEMAPHORES);
  register(program, RWLOCKS);
}

function register<I>(program: Command, k: PoolCommands<I>): void {
  const plural = `${k.singular}s`;
  program
    .command(plural)
    .description(`List the ${k.title} held right now: one row per holder, with its fence, time left, owner.`)
    .option('--prefix <prefix>', `only ${k.title} whose name starts with this`)
    .addOption(new Option('--limit <n>', `at most n ${k.title}`).default(1000).argParser(intArg(1, 10_000)))
    .option('--json', `one JSON object per ${k.singular} instead of a table`)
    .addOption(backendOption())
    .addHelpText('after', examples([`baton ${plural}`, `baton ${plural} --prefix jobs- --json`]))
    .action(async (flags: { prefix?: string; limit: number; json?: boolean }, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        const items = await k.list(baton, { prefix: flags.prefix, limit: flags.limit });
        if (flags.json) for (const i of items) printJson(i);
        else process.stdout.write(k.table(items, Date.now()));
      });
    });

  program
    .command(k.singular)
    .description(`Look at one ${k.singular} (to hold one, use \`baton run --${k.singular}\`).`)
    .command('inspect')
    .description(`Print one ${k.singular}'s holders, fence and waiters as JSON (never a token).`)
    .argument('<name>', `${k.singular} name`)
    .addOption(backendOption())
    .addHelpText('after', examples([`baton ${k.singular} inspect workers`]))
    .action(async (name: string, _flags: object, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        printJson(await k.inspect(baton, name));
      });
    });
}

/** semaphoreTable renders held semaphores, one row per holder; "no semaphores are held" when none. */
export function semaphoreTable(items: readonly SemaphoreInfo[], now: number): string {
  if (items.length === 0) return 'no semaphores are held\n';
  const rows = [['NAME', 'USED', 'COUNT', 'FENCE', 'EXPIRES IN', 'OWNER']];
  for (const s of items) {
    for (const h of s.holders) {
      rows.push([
        s.name,
        `${s.used}/${s.permits}`,
        String(h.count),
        String(h.fence),
        formatDuration(h.expiresAt - now),
        h.owner ?? '-',
      ]);
    }
  }
  return formatTable(rows);
}

/** rwlockTable renders held read-write locks, one row per holder; "no read-write locks are held" when none. */
export function rwlockTable(items: readonly RwLockInfo[], now: number): string {
  if (items.length === 0) return 'no read-write locks are held\n';
  const rows = [['NAME', 'MODE', 'FENCE', 'EXPIRES IN', 'OWNER']];
  for (const l of items) {
    for (const h of l.holders) {
      rows.push([l.name, h.mode, String(h.fence), formatDuration(h.expiresAt - now), h.owner ?? '-']);
    }
  }
  return formatTable(rows);
}
