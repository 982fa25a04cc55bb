/**
 * The run's output: a Markdown table on stdout and `bench/results/<timestamp>.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { Row, Verdict } from './model.js';

/** Machine describes where the run happened, for the JSON file and the docs. */
export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

/** machine describes this host. */
export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** markdown renders the rows and verdicts as two Markdown tables. */
export function markdown(rows: readonly Row[], verdicts: readonly Verdict[]): string {
  const lines = [
    '| scenario | case | subject | throughput | ratio | vs peer | p50 ms | p99 ms | notes |',
    '|---|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)} × ${r.baseline}`;
    const versus = r.versus === undefined ? '' : `${r.versus.ratio.toFixed(2)} × ${r.versus.subject}`;
    lines.push(
      `| ${r.scenario} | ${r.case} | ${r.subject} | ${number(r.opsPerSec)} ${r.unit} | ${ratio} | ${versus} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${r.note ?? ''} |`,
    );
  }
  lines.push('', '| scenario | target | reached | measured |', '|---|---|---|---|');
  for (const v of verdicts) {
    lines.push(`| ${v.scenario} | ${v.target} | ${v.reached ? 'yes' : '**no**'} | ${v.detail} |`);
  }
  return lines.join('\n');
}

/** writeResults writes the JSON file and returns its path. */
export async function writeResults(result: {
  readonly startedAt: Date;
  readonly command: string;
  readonly quick: boolean;
  readonly rows: readonly Row[];
  readonly verdicts: readonly Verdict[];
  readonly failures: readonly { scenario: string; error: string }[];
}): Promise<string> {
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const stamp = result.startedAt.toISOString().replace(/[:.]/g, '-');
  const file = new URL(`${stamp}.json`, dir);
  await writeFile(file, `${JSON.stringify({ ...result, machine: machine() }, null, 2)}\n`);
  return file.pathname;
}

function number(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function ms(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  return n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
