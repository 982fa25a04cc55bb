// chunks: parallel processing of a large array by a pool of worker processes coordinating only
// through a shared dict. The parent splits the array into chunks and stores them; each worker
// claims the next unclaimed chunk with setIfAbsent (exactly one claim wins), writes the chunk's
// partial sum, and counts its progress with incr; the parent watches the counter, then combines
// the partial sums and checks them against a sum it computes itself.
//
//   node examples/chunks/chunks.mjs                                 (starts its own `baton serve`)
//   BATON_URL=redis://127.0.0.1:6379 ITEMS=1000000 CHUNK=50000 WORKERS=6 node examples/chunks/chunks.mjs
//
// A claim could also be taken with `set(key, me, { ifVersion: 0 })`, which throws
// VersionConflictError when someone else has it. Give claims a TTL (`{ ttlMs }`) and renew it
// while working if a crashed worker's chunk should go back to the pool.
import { fileURLToPath } from 'node:url';
import { connect } from 'baton';
import { forkAll, sharedBackend } from '../shared/backend.mjs';

const [role, name, me] = process.argv.slice(2);
if (role === 'worker') await worker(name, me);
else await main();

async function main() {
  const items = Number(process.env.ITEMS ?? 200_000);
  const chunkSize = Number(process.env.CHUNK ?? 10_000);
  const workers = Number(process.env.WORKERS ?? 4);
  const name = `chunks-${process.pid}-${Date.now().toString(36)}`;
  const data = numbers(items);
  const expected = data.reduce((a, b) => a + b, 0);
  const chunks = Math.ceil(items / chunkSize);

  const backend = await sharedBackend();
  const baton = await connect(backend.url);
  const d = baton.dict(name);
  try {
    for (let i = 0; i < chunks; i++)
      await d.set(`chunk:${i}`, data.slice(i * chunkSize, (i + 1) * chunkSize));
    await d.set('chunks', chunks);
    const stop = new AbortController();
    const progress = watchProgress(d, await d.version(), chunks, stop.signal);
    const script = fileURLToPath(import.meta.url);
    const codes = await forkAll(script, workers, (i) => ['worker', name, `w${i}`], {
      BATON_URL: backend.url,
    });
    if (codes.some((c) => c !== 0)) stop.abort(); // a worker failed: the count may never reach the end
    await progress.catch(() => undefined);

    let total = 0;
    const byWorker = {};
    for (let i = 0; i < chunks; i++) {
      total += await d.get(`sum:${i}`);
      const owner = await d.get(`claim:${i}`);
      byWorker[owner] = (byWorker[owner] ?? 0) + 1;
    }
    console.log(
      JSON.stringify({
        items,
        chunks,
        workers,
        exitCodes: codes,
        total,
        expected,
        ok: total === expected,
        byWorker,
      }),
    );
    await d.clear();
  } finally {
    await baton.close();
    await backend.close();
  }
}

// watchProgress prints "done/chunks" on stderr as the workers' counter moves, until all are done.
async function watchProgress(d, fromVersion, chunks, signal) {
  for await (const change of d.watch({ prefix: 'done', fromVersion, signal })) {
    if (change.type !== 'set') continue;
    process.stderr.write(`progress: ${change.value}/${chunks} chunks\n`);
    if (change.value >= chunks) return;
  }
}

async function worker(name, me) {
  const baton = await connect(process.env.BATON_URL);
  try {
    const d = baton.dict(name);
    const chunks = await d.get('chunks');
    for (let i = 0; i < chunks; i++) {
      if ((await d.setIfAbsent(`claim:${i}`, me)) !== me) continue; // someone else has it
      const part = await d.get(`chunk:${i}`);
      await d.set(
        `sum:${i}`,
        part.reduce((a, b) => a + b, 0),
      );
      await d.incr('done');
    }
  } finally {
    await baton.close();
  }
}

// numbers makes `n` pseudo-random integers from 0 to 999, the same on every run.
function numbers(n) {
  let seed = 42;
  return Array.from({ length: n }, () => {
    seed = (seed * 48_271) % 2_147_483_647; // MINSTD: exact in doubles
    return seed % 1000;
  });
}
