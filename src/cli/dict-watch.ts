/**
 * `baton dict watch DICT`: print one JSON line per change — `{"type": "set"|"delete"|"expire",
 * "key", "value"?, "version"}` — in version order, until Ctrl-C or SIGTERM (exit 0) or `--count`
 * changes. `--from-version N` resumes after version N without gaps: pass the last version printed.
 *
 * How it fails: exit 5 when the history before --from-version is gone (list again, then watch);
 * exit 69 when the backend stays unreachable or the watch overflowed (it read slower than changes
 * came, on etcd), with the version to resume from in the message.
 */
import { type Command, Option } from 'commander';
import { isBatonError, WatchOverflowError } from '../errors.js';
import type { JsonValue } from '../shared-state/codec.js';
import { CliError, EXIT } from './exit-codes.js';
import { examples } from './help.js';
import { backendOption, intArg, printJson, withBaton } from './options.js';

interface WatchFlags {
  prefix?: string;
  fromVersion?: number;
  count?: number;
}

/** registerDictWatch adds `watch` under `baton dict`. */
export function registerDictWatch(dict: Command): void {
  dict
    .command('watch')
    .description('Print each change as one JSON line until Ctrl-C; resume with --from-version.')
    .argument('<dict>', 'dict name')
    .option('--prefix <prefix>', 'only keys that start with this')
    .addOption(
      new Option(
        '--from-version <n>',
        'start after this version (the last one you saw); default: from now',
      ).argParser(intArg(0, Number.MAX_SAFE_INTEGER)),
    )
    .addOption(
      new Option('--count <n>', 'exit after n changes').argParser(intArg(1, Number.MAX_SAFE_INTEGER)),
    )
    .addOption(backendOption())
    .addHelpText(
      'after',
      examples([
        'baton dict watch jobs',
        'baton dict watch jobs --from-version 0          # everything still in the history, then live',
        'baton dict watch jobs --from-version 41 --prefix job-',
        'baton dict watch jobs --count 1 | jq .key       # wait for the next change',
      ]),
    )
    .action(async (name: string, flags: WatchFlags, cmd: Command) => {
      await watch(cmd, name, flags);
    });
}

async function watch(cmd: Command, name: string, flags: WatchFlags): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let last = flags.fromVersion;
  let printed = 0;
  try {
    await withBaton(cmd, async (baton) => {
      const changes = baton.dict<JsonValue>(name).watch({
        prefix: flags.prefix,
        fromVersion: flags.fromVersion,
        signal: stop.signal,
      });
      for await (const { history: _history, ...change } of changes) {
        printJson(change); // one line per change as before; --from-version resumes without a history check
        last = change.version;
        if (++printed === flags.count) break;
      }
    });
  } catch (err) {
    if (stop.signal.aborted) return;
    if (isBatonError(err) && err.code === 'history_compacted') {
      throw new CliError(EXIT.COMPACTED, `${err.message} (\`baton dict list ${name}\`, then watch again)`);
    }
    if (err instanceof WatchOverflowError) {
      throw new CliError(EXIT.UNAVAILABLE, `${err.message} (resume with --from-version ${err.lastVersion})`);
    }
    if (isBatonError(err) && err.code === 'backend_unavailable' && last !== undefined) {
      throw new CliError(EXIT.UNAVAILABLE, `${err.message}; resume with --from-version ${last}`);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
