// fleet: N worker processes take turns in a fenced critical section on one shared dict.
//
//   node examples/fleet/fleet.mjs                                   (starts its own `baton serve`)
//   BATON_URL=redis://127.0.0.1:6379 WORKERS=8 ROUNDS=50 node examples/fleet/fleet.mjs
//
// Each round, a worker takes the lock, reads the ledger, and writes it back fenced by its lease:
// a read-modify-write of two keys that would lose updates without the lock. The lock makes the
// count exact; the fence makes the store itself refuse a holder that lost the lock without
// noticing (a GC pause, a suspended VM), which worker 0 plays at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect, StaleFenceError } from 'baton';
import { forkAll, sharedBackend } from '../shared/backend.mjs';

const [role, run, id] = process.argv.slice(2);
if (role === 'worker') await worker(run, Number(id));
else await main();

async function main() {
  const workers = Number(process.env.WORKERS ?? 4);
  const rounds = Number(process.env.ROUNDS ?? 25);
  const run = `fleet-${process.pid}-${Date.now().toString(36)}`;
  const backend = await sharedBackend();
  try {
    const script = fileURLToPath(import.meta.url);
    const codes = await forkAll(script, workers, (i) => ['worker', run, String(i)], {
      BATON_URL: backend.url,
      ROUNDS: String(rounds),
    });
    const baton = await connect(backend.url);
    try {
      const ledger = baton.dict(run);
      const perWorker = await Promise.all(codes.map((_, i) => ledger.get(`rounds:${i}`)));
      console.log(
        JSON.stringify({
          workers,
          rounds,
          exitCodes: codes,
          expected: workers * rounds,
          count: await ledger.get('count'),
          perWorker,
          fenceOrderViolations: (await ledger.get('fenceOrderViolations')) ?? 0,
          staleWriteRefused: (await ledger.get('staleWriteRefused')) ?? false,
        }),
      );
      await ledger.clear();
    } finally {
      await baton.close();
    }
  } finally {
    await backend.close();
  }
}

async function worker(run, id) {
  const rounds = Number(process.env.ROUNDS);
  const baton = await connect(process.env.BATON_URL);
  const ledger = baton.dict(run);
  const lockName = `${run}-ledger`;
  try {
    for (let i = 0; i < rounds; i++) {
      // withLock waits by notification, keeps the lease extended, and releases it afterwards.
      await baton.withLock(
        lockName,
        async (lease) => {
          const count = (await ledger.get('count')) ?? 0;
          const lastFence = (await ledger.get('lastFence')) ?? 0;
          if (lease.fence <= lastFence) await ledger.incr('fenceOrderViolations'); // never happens
          // Both keys change together or not at all, and only while this grant is the newest.
          await ledger.batch(
            [
              { op: 'set', key: 'count', value: count + 1 },
              { op: 'set', key: 'lastFence', value: lease.fence },
            ],
            { fence: lease },
          );
        },
        { ttlMs: 10_000, waitMs: 120_000 },
      );
      await ledger.incr(`rounds:${id}`);
    }
    if (id === 0) await stalledHolder(baton, ledger, lockName);
  } finally {
    await baton.close();
  }
}

// stalledHolder: a holder that stops for longer than its TTL and then writes as if it still held
// the lock. Meanwhile the lock went to a newer holder who wrote (played here by this same process,
// so the demo does not depend on timing); the store refuses the stale write.
async function stalledHolder(baton, ledger, lockName) {
  const stale = await baton.lock(lockName, { ttlMs: 300 }).acquire({ waitMs: 120_000 }); // no auto-extension
  await sleep(600); // "paused": the lease runs out
  await baton.withLock(lockName, (fresh) => ledger.set('lastFence', fresh.fence, { fence: fresh }), {
    ttlMs: 10_000,
    waitMs: 120_000,
  });
  try {
    await ledger.set('count', -1, { fence: stale });
    console.error('worker 0: a stale write was accepted?!');
  } catch (err) {
    if (!(err instanceof StaleFenceError)) throw err;
    await ledger.set('staleWriteRefused', true);
  }
}
