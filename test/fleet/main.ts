/**
 * `npm run test:fleet [-- --long] [--backend name …] [--minutes m] [--seed n] [--plain-read]`:
 * the fleet runs outside vitest, one backend after another, each with its own services. The
 * default is the short profile `npm test` runs; `--long` soaks each backend for 10 minutes.
 * Prints each run's figures as they finish, then one Markdown table (for docs/RELIABILITY.md),
 * and writes every report as JSON to `--json <file>` when asked.
 *
 * Exit status: 0 when every run has 0 violations, 1 otherwise, 2 for a usage error.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanUpAll, ensureBinaries } from '../support/services.js';
import { BACKENDS, type BackendName, FAILOVER_BACKENDS } from './backends.js';
import { formatReport } from './checker.js';
import { type FleetResult, runFleet } from './fleet.js';
import { LONG, SHORT } from './profiles.js';

const usage =
  'usage: npm run test:fleet -- [--long] [--minutes m] [--backend name]... [--seed n] [--plain-read] [--json file]\n' +
  `backends: ${BACKENDS.join(', ')} (the default), and on request ${FAILOVER_BACKENDS.join(', ')}`;

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      long: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      backend: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'plain-read': { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
}
try {
  args = parse();
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(usage);
  process.exit(0);
}
const chosen = (args.values.backend ?? [...BACKENDS]) as string[];
const known: readonly string[] = [...BACKENDS, ...FAILOVER_BACKENDS];
const unknown = chosen.filter((b) => !known.includes(b));
const minutes = args.values.minutes === undefined ? undefined : Number(args.values.minutes);
const seed = args.values.seed === undefined ? undefined : Number(args.values.seed);
if (
  unknown.length > 0 ||
  (minutes !== undefined && !(minutes > 0)) ||
  (seed !== undefined && !Number.isInteger(seed))
) {
  console.error(`${unknown.length > 0 ? `unknown backend: ${unknown.join(', ')}\n` : ''}${usage}`);
  process.exit(2);
}

ensureBinaries({ browser: false });
const profile = args.values.long ? LONG : SHORT;
const durationMs = minutes === undefined ? profile.durationMs : Math.round(minutes * 60_000);
const results: FleetResult[] = [];
const command = `npm run test:fleet -- ${process.argv.slice(2).join(' ')}`.trim();
console.log(
  `${command}\nprofile: ${durationMs / 1000} s of faults per backend, then ${profile.quietMs / 1000} s quiet`,
);
try {
  for (const backend of chosen as BackendName[]) {
    const result = await runFleet({
      ...profile,
      durationMs,
      backend,
      seed,
      fencedRead: args.values['plain-read'] ? false : 'auto',
      log: (line) => console.log(line),
      keepHistoryIn: join(tmpdir(), 'baton-fleet-histories'),
    });
    results.push(result);
    console.log(formatReport(`${result.backend} — ${result.describe}`, result.report));
    if (result.historyDir !== undefined) console.log(`   history kept in ${result.historyDir}`);
  }
} finally {
  await cleanUpAll();
}

console.log(`\n${table(results)}`);
if (args.values.json !== undefined) {
  writeFileSync(
    args.values.json,
    `${JSON.stringify({ command, date: new Date().toISOString(), results }, null, 2)}\n`,
  );
}
process.exit(results.every((r) => r.report.violations.length === 0) ? 0 : 1);

/** table renders the runs as the Markdown table docs/RELIABILITY.md shows. */
function table(rs: readonly FleetResult[]): string {
  const rows = rs.map((r) => {
    const faults = Object.entries(r.report.faults)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const lost =
      r.report.rolledBack === 0 ? '' : ` (${r.report.rolledBack} acknowledged writes lost in proven losses)`;
    return `| ${r.backend} | ${Math.round(r.elapsedMs / 1000)} s | ${r.ttlMs} | ${r.report.grants} | ${r.report.accepted}${lost} | ${r.report.rejectedStale} | ${r.report.unknown} | ${faults} | ${r.report.violations.length} |`;
  });
  return [
    '| backend | run | TTL ms | grants | accepted | rejected as stale | unknown | faults | violations |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
