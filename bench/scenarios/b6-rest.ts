/**
 * B6 REST: autocannon (default 10 connections) against `baton serve` on memory:// and on
 * redis://: GET a key, PUT a key, and a lock cycle (acquire then release, one lock per
 * connection, so two requests per cycle) — beside a bare express hello-world in the same run.
 * Each server runs in its own process (bench/rest-server.ts); autocannon runs in this one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { type Row, ratioOf, type Scenario } from '../model.js';

const EXPRESS = 'express hello-world';
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Connection is what one autocannon connection remembers between the two lock requests. */
interface Connection {
  name?: string;
  token?: string;
}

export const b6: Scenario = {
  id: 'B6',
  title: 'REST: autocannon against baton serve and a bare express',
  needs: ['redis'],
  async run(ctx) {
    const duration = ctx.quick ? 3 : 10;
    const rows: Row[] = [];
    const cannon = async (caseName: string, subject: string, options: autocannon.Options) => {
      ctx.progress(`B6 ${caseName} ${subject} (${duration} s)…`);
      const result = await autocannon({ duration, ...options });
      const failed = result.errors + result.timeouts + result.non2xx;
      if (failed > result.requests.total / 100) {
        throw new Error(`${subject} ${caseName}: ${failed} of ${result.requests.total} requests failed`);
      }
      rows.push({
        scenario: 'B6',
        case: caseName,
        subject,
        unit: 'req/s',
        opsPerSec: result.requests.average,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        note:
          failed > 0 ? `${failed} failed requests` : caseName === 'lock cycle' ? '2 requests per cycle' : '',
      });
    };

    await withServer('express', async (url) => {
      await cannon('GET', EXPRESS, { url });
    });
    for (const [subject, backend] of [
      ['baton serve memory', 'memory://'],
      ['baton serve redis', ctx.redisUrl],
    ] as const) {
      await withServer(backend, async (url) => {
        const key = `${url}/v1/dicts/b6/keys/k`;
        await fetch(key, { method: 'PUT', headers: JSON_HEADERS, body: '{"state":"running","n":1}' });
        await cannon('GET', subject, { url: key });
        await cannon('PUT', subject, {
          url: key,
          method: 'PUT',
          headers: JSON_HEADERS,
          body: '{"state":"running","n":2}',
        });
        await cannon('lock cycle', subject, {
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
        });
      });
    }

    // Every case is put beside the one express route: the floor of any HTTP request in Node.
    const floor = rows.find((r) => r.subject === EXPRESS)?.opsPerSec ?? Number.NaN;
    const result = rows.map((r) => ({ ...r, ratio: r.opsPerSec / floor, baseline: EXPRESS }));
    const memory = ratioOf(result, 'GET', 'baton serve memory', EXPRESS);
    const redis = ratioOf(result, 'GET', 'baton serve redis', EXPRESS);
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B6',
          target: 'GET ≥ 0.6 × express hello-world',
          reached: memory >= 0.6 && redis >= 0.6,
          detail: `memory ${memory.toFixed(2)}, redis ${redis.toFixed(2)}`,
        },
      ],
    };
  },
};

/** withServer runs bench/rest-server.ts for `target`, hands its URL to `fn`, and stops it. */
async function withServer(target: string, fn: (url: string) => Promise<void>): Promise<void> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('../rest-server.ts', import.meta.url).pathname, target],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const lines = createInterface({ input: child.stdout! });
    const first = await Promise.race([
      once(lines, 'line').then(([line]) => String(line)),
      once(child, 'exit').then(([code]) => {
        throw new Error(`rest-server ${target} exited with ${code} before listening`);
      }),
    ]);
    lines.close();
    await fn((JSON.parse(first) as { url: string }).url);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}
