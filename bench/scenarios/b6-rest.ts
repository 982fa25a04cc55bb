/**
 * B6 REST: autocannon (default 10 connections) against `baton serve` on memory:// and on
 * redis://: GET a key, PUT a key, and a lock cycle (acquire then release, one lock per
 * connection, so two requests per cycle) — beside a bare express hello-world in the same run.
 * Each server runs in its own process (bench/rest-server.ts), all three for the whole scenario;
 * autocannon runs in this one. The seven cases run interleaved in rounds (throughput and
 * latencies are medians of the rounds; ratios are medians of each round's ratio to express).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { median } from '../measure.js';
import { pairedRatio, type Row, ratioOf, type Scenario } from '../model.js';

const EXPRESS = 'express hello-world';
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Connection is what one autocannon connection remembers between the two lock requests. */
interface Connection {
  name?: string;
  token?: string;
}

/** Run is one (case, subject) pair: an autocannon configuration against one server. */
interface Run {
  readonly caseName: string;
  readonly subject: string;
  readonly options: autocannon.Options;
}

export const b6: Scenario = {
  id: 'B6',
  title: 'REST: autocannon against baton serve and a bare express',
  needs: ['redis'],
  async run(ctx) {
    const rounds = ctx.quick ? 2 : 3;
    const seconds = ctx.quick ? 1 : 3;
    const servers = await Promise.all(
      ['express', 'memory://', ctx.redisUrl].map((target) => startServer(target)),
    );
    try {
      const [express, memory, redis] = servers.map((s) => s.url) as [string, string, string];
      const runs: Run[] = [{ caseName: 'GET', subject: EXPRESS, options: { url: express } }];
      for (const [subject, url] of [
        ['baton serve memory', memory],
        ['baton serve redis', redis],
      ] as const) {
        const key = `${url}/v1/dicts/b6/keys/k`;
        await fetch(key, { method: 'PUT', headers: JSON_HEADERS, body: '{"state":"running","n":1}' });
        runs.push(
          { caseName: 'GET', subject, options: { url: key } },
          {
            caseName: 'PUT',
            subject,
            options: { url: key, method: 'PUT', headers: JSON_HEADERS, body: '{"state":"running","n":2}' },
          },
          { caseName: 'lock cycle', subject, options: lockCycle(url) },
        );
      }
      ctx.progress(`B6 warming up ${runs.length} cases…`);
      for (const run of runs) await cannon(run, 1);
      const tallies = runs.map(() => ({
        perRound: [] as number[],
        p50: [] as number[],
        p99: [] as number[],
        failed: 0,
      }));
      for (let r = 0; r < rounds; r++) {
        ctx.progress(`B6 round ${r + 1}/${rounds}: ${runs.length} cases × ${seconds} s…`);
        for (let k = 0; k < runs.length; k++) {
          const i = (k + r) % runs.length;
          const result = await cannon(runs[i]!, seconds);
          const t = tallies[i]!;
          t.perRound.push(result.requests.average);
          t.p50.push(result.latency.p50);
          t.p99.push(result.latency.p99);
          t.failed += result.errors + result.timeouts + result.non2xx;
        }
      }
      const rows: Row[] = runs.map((run, i) => {
        const t = tallies[i]!;
        const notes = [];
        if (t.failed > 0) notes.push(`${t.failed} failed requests`);
        if (run.caseName === 'lock cycle') notes.push('2 requests per cycle');
        return {
          scenario: 'B6',
          case: run.caseName,
          subject: run.subject,
          unit: 'req/s',
          opsPerSec: median(t.perRound),
          perRound: t.perRound,
          p50Ms: median(t.p50),
          p99Ms: median(t.p99),
          note: notes.join('; '),
        };
      });
      // Every case is put beside the one express route: the floor of any HTTP request in Node.
      const floor = rows.find((r) => r.subject === EXPRESS)!;
      const result = rows.map((r) => ({ ...r, ratio: pairedRatio(r, floor), baseline: EXPRESS }));
      const memoryGet = ratioOf(result, 'GET', 'baton serve memory', EXPRESS);
      const redisGet = ratioOf(result, 'GET', 'baton serve redis', EXPRESS);
      return {
        rows: result,
        verdicts: [
          {
            scenario: 'B6',
            target: 'GET ≥ 0.6 × express hello-world',
            reached: memoryGet >= 0.6 && redisGet >= 0.6,
            detail: `memory ${memoryGet.toFixed(2)}, redis ${redisGet.toFixed(2)}`,
          },
        ],
      };
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  },
};

/** cannon runs autocannon for one case; more than 1 % failed requests fails the scenario. */
async function cannon(run: Run, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({ duration: seconds, ...run.options });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > result.requests.total / 100) {
    throw new Error(`${run.subject} ${run.caseName}: ${failed} of ${result.requests.total} requests failed`);
  }
  return result;
}

/** lockCycle is an acquire then a release of one lock per autocannon connection. */
function lockCycle(url: string): autocannon.Options {
  return {
    url,
    requests: [
      {
        method: 'POST',
        headers: JSON_HEADERS,
        setupRequest: (req, context) => {
          const c = context as Connection;
          c.name ??= `b6-${Math.random().toString(36).slice(2)}`;
          return { ...req, path: `/v1/locks/${c.name}/acquire`, body: '{"ttlMs":30000}' };
        },
        onResponse: (_status, body, context) => {
          (context as Connection).token = (JSON.parse(body) as { token: string }).token;
        },
      },
      {
        method: 'POST',
        headers: JSON_HEADERS,
        setupRequest: (req, context) => ({
          ...req,
          path: `/v1/locks/${(context as Connection).name}/release`,
          body: JSON.stringify({ token: (context as Connection).token }),
        }),
      },
    ],
  };
}

/** startServer runs bench/rest-server.ts for `target` and resolves to its URL and a stop function. */
async function startServer(target: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('../rest-server.ts', import.meta.url).pathname, target],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  try {
    const lines = createInterface({ input: child.stdout! });
    const first = await Promise.race([
      once(lines, 'line').then(([line]) => String(line)),
      once(child, 'exit').then(([code]) => {
        throw new Error(`rest-server ${target} exited with ${code} before listening`);
      }),
    ]);
    lines.close();
    return { url: (JSON.parse(first) as { url: string }).url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
