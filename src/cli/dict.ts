/**
 * `baton dict get|set|delete|incr|list DICT …`: one shared-dict operation per call, output as
 * JSON lines on stdout so it pipes into jq. `watch` lives in dict-watch.ts.
 *
 * How it fails (exit codes, see exit-codes.ts): 3 when `get` or `delete` meets an absent key,
 * 4 when the store refuses a conditional write (--if-version, --fence, incr on a non-number),
 * 2 for a bad name, key, value or flag, 69 when the backend is unreachable.
 */
import { type Command, Option } from 'commander';
import type { FenceSource, JsonValue } from '../index.js';
import { registerDictWatch } from './dict-watch.js';
import { durationArg } from './duration.js';
import { CliError, EXIT } from './exit-codes.js';
import { examples } from './help.js';
import { readJsonArg } from './json-arg.js';
import { backendOption, fenceArg, intArg, numberArg, printJson, withBaton } from './options.js';

interface WriteFlags {
  ifVersion?: number;
  ttl?: number;
  fence?: { lock: string; fence: number };
}

/** registerDict adds `baton dict …` to the program. */
export function registerDict(program: Command): void {
  const dict = program
    .command('dict')
    .description('Read, change, list and watch shared dicts (JSON values, one JSON line of output each).');

  dict
    .command('get')
    .description('Print the value stored at KEY (exit 3 when absent).')
    .argument('<dict>', 'dict name')
    .argument('<key>', 'key')
    .option('--entry', 'print {"value", "version", "expiresAt"?} instead of the value alone')
    .addOption(backendOption())
    .addHelpText('after', examples(['baton dict get jobs job-42', 'baton dict get jobs job-42 --entry']))
    .action(async (name: string, key: string, flags: { entry?: boolean }, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        const entry = await baton.dict<JsonValue>(name).getEntry(key);
        if (!entry) throw notFound(name, key);
        printJson(flags.entry ? entry : entry.value);
      });
    });

  dict
    .command('set')
    .description('Store a JSON value at KEY (use - to read it from stdin); prints {"version"}.')
    .argument('<dict>', 'dict name')
    .argument('<key>', 'key')
    .argument('<json>', 'the value as JSON (a string needs quotes: \'"text"\'), or - for stdin')
    .addOption(ifVersionOption('only if the entry is at version N; 0: only if absent'))
    .addOption(new Option('--ttl <duration>', 'expire the entry after this long').argParser(durationArg(1)))
    .addOption(fenceOption())
    .addOption(backendOption())
    .addHelpText(
      'after',
      examples([
        `baton dict set jobs job-42 '{"state": "queued"}'`,
        `baton dict set jobs job-42 '{"state": "running"}' --if-version 1     # exit 4 if it changed since`,
        `baton dict set notes maintenance '"back at 3pm"' --ttl 2h`,
        'curl -s https://example.com/data.json | baton dict set cache data -',
      ]),
    )
    .action(async (name: string, key: string, json: string, flags: WriteFlags, cmd: Command) => {
      const value = (await readJsonArg(json)) as JsonValue;
      await withBaton(cmd, async (baton) => {
        const version = await baton.dict<JsonValue>(name).set(key, value, {
          ifVersion: flags.ifVersion,
          ttlMs: flags.ttl,
          fence: fenceOf(flags),
        });
        printJson({ version });
      });
    });

  dict
    .command('delete')
    .description('Delete KEY (exit 3 when absent); prints {"deleted": true}.')
    .argument('<dict>', 'dict name')
    .argument('<key>', 'key')
    .addOption(ifVersionOption('only if the entry is at version N'))
    .addOption(fenceOption())
    .addOption(backendOption())
    .addHelpText(
      'after',
      examples(['baton dict delete jobs job-42', 'baton dict delete jobs job-42 --if-version 7']),
    )
    .action(async (name: string, key: string, flags: WriteFlags, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        const deleted = await baton
          .dict(name)
          .delete(key, { ifVersion: flags.ifVersion, fence: fenceOf(flags) });
        if (!deleted) throw notFound(name, key);
        printJson({ deleted });
      });
    });

  dict
    .command('incr')
    .description('Add BY (default 1) to the number at KEY, atomically; prints {"value", "version"}.')
    .argument('<dict>', 'dict name')
    .argument('<key>', 'key (absent counts as 0)')
    .argument('[by]', 'amount, default 1 (negative: put -- before it)', numberArg)
    .addOption(fenceOption())
    .addOption(backendOption())
    .addHelpText('after', examples(['baton dict incr stats runs', 'baton dict incr stats budget -- -2.5']))
    .action(async (name: string, key: string, by: number | undefined, flags: WriteFlags, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        printJson(await baton.dict(name).incrEntry(key, by ?? 1, { fence: fenceOf(flags) }));
      });
    });

  dict
    .command('list')
    .description('Print every entry as {"key", "value", "version"}, one per line, in key order.')
    .argument('<dict>', 'dict name')
    .option('--prefix <prefix>', 'only keys that start with this')
    .addOption(new Option('--limit <n>', 'print at most n entries').argParser(intArg(1, 1_000_000_000)))
    .addOption(backendOption())
    .addHelpText(
      'after',
      examples(['baton dict list jobs', "baton dict list jobs --prefix job- | jq -r '.key'"]),
    )
    .action(async (name: string, flags: { prefix?: string; limit?: number }, cmd: Command) => {
      await withBaton(cmd, async (baton) => {
        const d = baton.dict<JsonValue>(name);
        let left = flags.limit ?? Number.POSITIVE_INFINITY;
        let cursor: string | undefined;
        do {
          const page = await d.entries({ prefix: flags.prefix, limit: Math.min(1000, left), cursor });
          for (const e of page.entries) printJson(e);
          left -= page.entries.length;
          cursor = page.cursor;
        } while (cursor !== undefined && left > 0);
      });
    });

  registerDictWatch(dict);
}

function ifVersionOption(what: string): Option {
  return new Option('--if-version <n>', what).argParser(intArg(0, Number.MAX_SAFE_INTEGER));
}

function fenceOption(): Option {
  return new Option(
    '--fence <lock:fence>',
    'fenced write: refused (exit 4) once a newer holder of LOCK wrote; inside `baton run` use "$BATON_LOCK:$BATON_FENCE"',
  ).argParser(fenceArg);
}

function fenceOf(flags: WriteFlags): FenceSource | undefined {
  return flags.fence && { lock: flags.fence.lock, fence: flags.fence.fence };
}

function notFound(dict: string, key: string): CliError {
  return new CliError(EXIT.NOT_FOUND, `key ${JSON.stringify(key)} not found in dict "${dict}"`);
}
