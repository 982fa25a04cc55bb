/**
 * B7's memory half, run as its own process so the memory backend's footprint is measured on a
 * clean heap: `node --expose-gc --import tsx bench/scale-memory.ts <rounds> <warmupMs> <roundMs>
 * <size>…`. It first measures the resident set (RSS, after a full GC) that the largest dict adds,
 * then get, set and delete+set at each size and a lock cycle beside 10k held locks, each set of subjects
 * interleaved in rounds, and prints one JSON line: `{ rssPerMillionMiB, heapPerMillionMiB,
 * results: { [case]: { [subject]: RoundsSample } } }`. Fails (exit 1) if it cannot.
 */

import { connect } from '../src/index.js';
import { interleave, type Rounds, type RoundsSample } from './measure.js';
import { DICT_OPS, dictContestants, fill, HELD, holdLocks, lockContestants, type Value } from './scale.js';

const [roundsArg, warmupArg, roundArg, ...sizeArgs] = process.argv.slice(2);
const rounds: Rounds = { rounds: Number(roundsArg), warmupMs: Number(warmupArg), roundMs: Number(roundArg) };
const sizes = sizeArgs.map(Number).sort((a, b) => a - b);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || sizes.length === 0 || !(rounds.rounds > 0)) {
  throw new Error(
    'usage: node --expose-gc --import tsx bench/scale-memory.ts <rounds> <warmupMs> <roundMs> <size>…',
  );
}

const settle = () => {
  gc();
  gc();
  return process.memoryUsage();
};

const baton = await connect('memory://b7-dicts');
const largest = sizes[sizes.length - 1]!;
const before = settle();
const dicts = sizes.map((size) => ({ size, dict: baton.dict<Value>(`b7-${size}`) }));
await fill(dicts[dicts.length - 1]!.dict, largest);
const after = settle();
const perMillion = (bytes: number) => (bytes / 2 ** 20) * (1_000_000 / largest);
for (const { size, dict } of dicts.slice(0, -1)) await fill(dict, size);

const results: Record<string, Record<string, RoundsSample>> = {};
for (const op of DICT_OPS) {
  results[op] = Object.fromEntries(await interleave(dictContestants(op, dicts), rounds));
}
const empty = await connect('memory://b7-locks-empty');
const busy = await connect('memory://b7-locks-busy');
const held = await holdLocks(busy, HELD);
results['lock cycle'] = Object.fromEntries(await interleave(lockContestants(empty, busy), rounds));
await Promise.all(held.map((l) => l.release()));
await Promise.all([baton.close(), empty.close(), busy.close()]);

process.stdout.write(
  `${JSON.stringify({
    rssPerMillionMiB: perMillion(after.rss - before.rss),
    heapPerMillionMiB: perMillion(after.heapUsed - before.heapUsed),
    results,
  })}\n`,
);
