/**
 * `npm run bench [-- --quick] [B1 B4 …]`: baton beside the libraries users would pick instead
 * (issue 9). Starts its own redis-server and etcd, runs the chosen scenarios one after another,
 * prints progress on stderr, then a Markdown table with ratios, p50 and p99 on stdout, and writes
 * bench/results/<timestamp>.json. Exit status 1 if a scenario failed to run (targets not reached
 * are reported, not failed).
 */
import { Command } from 'commander';
import type { Row, Scenario, Verdict } from './model.js';
import { markdown, writeResults } from './report.js';
import { b1 } from './scenarios/b1-lock-cycle.js';
import { b2 } from './scenarios/b2-handoff.js';
import { b3 } from './scenarios/b3-etcd-cycle.js';
import { b4 } from './scenarios/b4-dict-ops.js';
import { b5 } from './scenarios/b5-rmw.js';
import { b6 } from './scenarios/b6-rest.js';
import { b7 } from './scenarios/b7-scale.js';
import { b8 } from './scenarios/b8-near-cache.js';
import { b9 } from './scenarios/b9-replicas.js';
import { startServices } from './services.js';

const SCENARIOS: readonly Scenario[] = [b1, b2, b3, b4, b5, b6, b7, b8, b9];

const program = new Command('bench')
  .description('Benchmarks of baton beside peer libraries (see docs/BENCHMARKS.md).')
  .argument(
    '[scenarios...]',
    `scenarios to run, by id (${SCENARIOS.map((s) => s.id).join(', ')}); default all`,
  )
  .option('--quick', 'shorter runs (the whole set in under 2 minutes)', false)
  .option('--list', 'list the scenarios and exit', false)
  .action(async (names: string[], flags: { quick: boolean; list: boolean }) => {
    if (flags.list) {
      for (const s of SCENARIOS) console.log(`${s.id}  ${s.title}`);
      return;
    }
    const selected = select(names);
    process.exitCode = await run(selected, flags.quick);
  });

function select(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  return names.map((name) => {
    const found = SCENARIOS.find((s) => s.id.toLowerCase() === name.toLowerCase());
    return (
      found ??
      program.error(`unknown scenario "${name}"; choose from ${SCENARIOS.map((s) => s.id).join(', ')}`)
    );
  });
}

async function run(scenarios: readonly Scenario[], quick: boolean): Promise<number> {
  const startedAt = new Date();
  const t0 = performance.now();
  const progress = (message: string) => {
    const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${s}s] ${message}\n`);
  };
  const needs = new Set(scenarios.flatMap((s) => s.needs));
  progress(`starting ${[...needs].join(' and ') || 'nothing'}…`);
  const services = await startServices(needs);
  const rows: Row[] = [];
  const verdicts: Verdict[] = [];
  const failures: { scenario: string; error: string }[] = [];
  try {
    for (const scenario of scenarios) {
      progress(`${scenario.id} ${scenario.title}`);
      try {
        const result = await scenario.run({
          quick,
          redisUrl: services.redisUrl,
          etcdUrl: services.etcdUrl,
          progress,
        });
        rows.push(...result.rows);
        verdicts.push(...result.verdicts);
      } catch (err) {
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        failures.push({ scenario: scenario.id, error });
        progress(`${scenario.id} FAILED: ${error}`);
      }
    }
  } finally {
    await services.stop();
  }
  const args = process.argv.slice(2);
  const command = args.length > 0 ? `npm run bench -- ${args.join(' ')}` : 'npm run bench';
  const file = await writeResults({ startedAt, command, quick, rows, verdicts, failures });
  progress(`done; results in ${file}`);
  console.log(markdown(rows, verdicts));
  for (const f of failures) console.log(`\n${f.scenario} failed: ${f.error}`);
  return failures.length > 0 ? 1 : 0;
}

await program.parseAsync();
