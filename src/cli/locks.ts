/**
 * `baton locks` lists the locks held right now (a table, or JSON lines with --json) and
 * `baton lock inspect NAME` prints one lock's public state as JSON. Neither ever shows a token.
 *
 * How it fails: exit 2 for a bad name or flag, 69 when the backend is unreachable, 1 when the
 * backend cannot list locks.
 */
import { type Command, Option } from 'commander';
import type { LockInfo } from '../index.js';
import { formatDuration } from './duration.js';
import { examples } from './help.js';
import { backendOption, intArg, printJson, withBaton } from './options.js';
import { formatTable } from './table.js';

/** registerLocks adds `baton locks` and `baton lock inspect` to the program. */
export function registerLocks(program: Command): void {
  program
    .command('locks')
    .description('List the locks held right now: name, fence, time left, owner.')
    .option('--prefix <prefix>', 'only locks whose name starts with this')
    .addOption(new Option('--limit <n>', 'at most n locks').default(1000).argParser(intArg(1, 10_000)))
    .option('--json', 'one JSON object per lock instead of a table')
    .addOption(backendOption())
    .addHelpText('after', examples(['baton locks', 'baton locks --prefix deploy- --json']))
    .action(async (flags: { prefix?: string; limit: number; json?: boolean }, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        const locks = await baton.listLocks({ prefix: flags.prefix, limit: flags.limit });
        if (flags.json) for (const l of locks) printJson(l);
        else process.stdout.write(table(locks, Date.now()));
      });
    });

  const lock = program.command('lock').description('Look at one lock (to hold one, use `baton run --lock`).');
  lock
    .command('inspect')
    .description('Print {"name", "held", "fence", "expiresAt"?, "owner"?} for one lock (never its token).')
    .argument('<name>', 'lock name')
    .addOption(backendOption())
    .addHelpText('after', examples(['baton lock inspect nightly', 'baton lock inspect nightly | jq .held']))
    .action(async (name: string, _flags: object, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        printJson(await baton.lock(name).inspect());
      });
    });
}

/** table renders held locks for people; "no locks are held" when there are none. */
export function table(locks: readonly LockInfo[], now: number): string {
  if (locks.length === 0) return 'no locks are held\n';
  const rows = [
    ['NAME', 'FENCE', 'EXPIRES IN', 'OWNER'],
    ...locks.map((l) => [
      l.name,
      String(l.fence),
      l.expiresAt === undefined ? '-' : formatDuration(l.expiresAt - now),
      l.owner ?? '-',
    ]),
  ];
  return formatTable(rows);
}
