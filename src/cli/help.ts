/**
 * Help text shared by the subcommands: the "Examples:" block format, and what `baton --help`
 * adds after the command list (environment, exit codes, where to read more).
 */
import { EXIT_CODES_HELP } from './exit-codes.js';

/** examples formats an "Examples:" block for a command's help. */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

/** PROGRAM_HELP follows the command list in `baton --help`. */
export const PROGRAM_HELP = `${examples([
  'baton serve                                    # REST server on 127.0.0.1:7070 (memory://)',
  'export BATON_URL=http://127.0.0.1:7070',
  'baton run --lock nightly -n -- ./nightly.sh    # once across the fleet; exit 75 if busy',
  'baton run --lock migrate -w 30 -- ./migrate.sh # wait up to 30 s for the lock, then exit 75',
  'baton run --semaphore gpu --permits 4 -- ./train.sh  # at most 4 at once across the fleet',
  'baton locks                                    # also: baton semaphores, baton rwlocks',
  `baton dict set jobs job-42 '{"state": "queued"}'`,
  'baton dict watch jobs',
])}

Environment:
  BATON_URL     backend for every command (--backend wins): http://host:7070 (a baton serve),
                redis://host:6379, etcd://host:2379, … — memory:// (the default) is private to
                one process, so separate baton commands only share state through a server or store
  BATON_TOKEN   bearer token for an http:// backend with auth (or http://:TOKEN@host:7070)

Durations (run --ttl, --wait, --grace; dict set --ttl): a bare number is seconds, as in flock -w
  and timeout (--ttl 30, -w 0.5); or give a unit: 500ms, 10s, 1.5s, 5m, 2h, 1d. Flags and
  variables named in milliseconds (serve --shutdown-ms, BATON_SHUTDOWN_MS, …) read a bare number
  as milliseconds, and take a unit too (--shutdown-ms 10s).

${EXIT_CODES_HELP}

Docs: README.md (CLI), docs/OPERATIONS.md (running the server), docs/SAFETY.md (guarantees).`;

/** SERVE_HELP follows the options in `baton serve --help`. */
export const SERVE_HELP = `${examples([
  'baton serve                                        # 127.0.0.1:7070 on memory://, auth off',
  'baton serve --port 0                               # any free port: see the "baton listening" log line',
  'baton serve --backend redis://10.0.0.5:6379 --host 0.0.0.0 --auth-file /etc/baton/tokens.json',
  'BATON_URL=etcd://h1:2379,h2:2379 baton serve --log-level warn',
])}

Off loopback it needs --auth-file (or --insecure). SIGTERM/SIGINT drain gracefully, then exit 0.
Clients: connect('http://host:7070'), BATON_URL=http://host:7070 for the CLI, or plain HTTP
(GET /openapi.json). Flags, tokens file, metrics, logs, upgrades: docs/OPERATIONS.md.`;
