// partitions: a dataset processed exactly once by a fleet that loses, stalls and gains workers.
// The parent stores CHUNKS chunks of numbers, chunk i in partition i % PARTITIONS. Worker
// processes join the group, own their share of the partitions (each a fenced lease), and process
// each owned partition's chunks in order: the chunk's result and the partition's checkpoint are
// written in one batch, fenced by the partition's lease and compare-and-set on the checkpoint, so
// a write from an owner that lost the partition is refused. A nemesis SIGKILLs one worker,
// SIGSTOPs another past the TTL (then SIGCONTs it), and adds a worker. At the end the parent checks
// from what it recorded: the total equals its own sum, every chunk's result was accepted exactly
// once, no partition's accepted writes went back to an older fence, and no partition was owned by
// two workers at any instant (from the grants and releases the workers reported, with times).
//
//   node examples/partitions/partitions.mjs                   (starts its own `baton serve`)
//   BATON_URL=redis://127.0.0.1:6379 CHUNKS=400 PARTITIONS=16 WORKERS=4 node examples/partitions/partitions.mjs
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError, connect, StaleFenceError, VersionConflictError } from 'baton';
import { sharedBackend } from '../shared/backend.mjs';

const CHUNKS = Number(process.env.CHUNKS ?? 60);
const PARTITIONS = Number(process.env.PARTITIONS ?? 6);
const CHUNK_SIZE = Number(process.env.CHUNK_SIZE ?? 1000);
const WORKERS = Number(process.env.WORKERS ?? 3);
const TTL_MS = Number(process.env.TTL_MS ?? 1500);
const WORK_MS = Number(process.env.WORK_MS ?? 100); // time each chunk "takes"

/** refusals is the last count of refused (stale) writes the workers recorded. */
let refusals = 0;

const [role, name, me] = process.argv.slice(2);
if (role === 'worker') await worker(name, me);
else await main();

async function main() {
  const name = `parts-${process.pid}-${Date.now().toString(36)}`;
  const backend = await sharedBackend();
  const baton = await connect(backend.url);
  const d = baton.dict(name);
  const grants = []; // { worker, partition, fence, start, end? }
  const children = new Map(); // worker id → { child, killedAt? }
  const t0 = Date.now();
  const log = (msg) => process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)}s ${msg}\n`);
  try {
    let expected = 0;
    for (let i = 0; i < CHUNKS; i++) {
      const chunk = numbers(i, CHUNK_SIZE);
      expected += chunk.reduce((a, b) => a + b, 0);
      await d.set(`chunk:${i}`, chunk);
    }
    const from = await d.version();
    log(`stored ${CHUNKS} chunks`);
    const stop = new AbortController();
    const accepted = record(d, from, stop.signal);

    const script = fileURLToPath(import.meta.url);
    let next = 0;
    const start = () => {
      const id = `w${next++}`;
      const child = fork(script, ['worker', name, id], { env: { ...process.env, BATON_URL: backend.url } });
      const entry = {
        child,
        exit: new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig))),
      };
      children.set(id, entry);
      child.on('message', (m) => {
        if (process.env.VERBOSE) log(`${id} ${m.kind} p${m.partition} fence ${m.fence}`);
        if (m.kind === 'grant')
          grants.push({ worker: id, partition: m.partition, fence: m.fence, start: m.at });
        if (m.kind === 'end') {
          const g = grants.find((x) => x.worker === id && x.partition === m.partition && x.fence === m.fence);
          if (g) g.end = m.at;
        }
      });
      return id;
    };
    for (let i = 0; i < WORKERS; i++) start();

    // The nemesis, paced by progress so that every fault lands while there is work left.
    const progress = async (n) => {
      while ((await d.keys({ prefix: 'sum:' })).length < n) await sleep(20);
    };
    await progress(Math.floor(CHUNKS * 0.15));
    const killed = children.get('w0');
    killed.killedAt = Date.now();
    killed.child.kill('SIGKILL');
    log('nemesis: SIGKILL w0');
    await progress(Math.floor(CHUNKS * 0.3));
    const stopped = children.get('w1');
    stopped.child.kill('SIGSTOP');
    log('nemesis: SIGSTOP w1');
    const added = start();
    log(`nemesis: started ${added}`);
    await sleep(TTL_MS * 2);
    stopped.child.kill('SIGCONT');
    log('nemesis: SIGCONT w1');

    await progress(CHUNKS);
    await baton.event(`${name}-done`).set();
    const codes = await Promise.all([...children.values()].map((c) => c.exit));
    stop.abort();
    const history = await accepted;

    // A worker killed holding a lease owned it until it died.
    for (const g of grants) if (g.end === undefined && g.worker === 'w0') g.end = killed.killedAt;
    const total = (await Promise.all(Array.from({ length: CHUNKS }, (_, i) => d.get(`sum:${i}`)))).reduce(
      (a, r) => a + r.sum,
      0,
    );
    const violations = check(history, grants);
    const out = {
      chunks: CHUNKS,
      partitions: PARTITIONS,
      workers: next,
      exitCodes: Object.fromEntries([...children].map(([id], i) => [id, codes[i]])),
      total,
      expected,
      grants: grants.length,
      acceptedWrites: history.length,
      refusedWrites: refusals,
      violations,
      ok: total === expected && violations.length === 0,
    };
    console.log(JSON.stringify(out));
    await d.clear();
    process.exitCode = out.ok ? 0 : 1;
  } finally {
    for (const { child } of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    await baton.close();
    await backend.close();
  }
}

/** record collects every accepted result and checkpoint write (the dict's watch) until `signal` aborts. */
async function record(d, fromVersion, signal) {
  const out = [];
  try {
    for await (const c of d.watch({ fromVersion, signal })) {
      if (c.type === 'set' && (c.key.startsWith('sum:') || c.key.startsWith('ckpt:')))
        out.push({ key: c.key, version: c.version, ...c.value });
      if (c.type === 'set' && c.key === 'refused') refusals = c.value;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  return out;
}

/** check lists every broken promise in the recorded history (none is the goal). */
function check(history, grants) {
  const violations = [];
  const sums = new Map();
  for (const w of history.filter((h) => h.key.startsWith('sum:')))
    sums.set(w.key, (sums.get(w.key) ?? 0) + 1);
  for (let i = 0; i < CHUNKS; i++) {
    const n = sums.get(`sum:${i}`) ?? 0;
    if (n !== 1) violations.push(`chunk ${i} accepted ${n} times`);
  }
  for (let p = 0; p < PARTITIONS; p++) {
    const fences = history.filter((h) => h.partition === p).map((h) => h.fence);
    for (let k = 1; k < fences.length; k++)
      if (fences[k] < fences[k - 1])
        violations.push(`partition ${p}: write with fence ${fences[k]} after ${fences[k - 1]}`);
    const held = grants.filter((g) => g.partition === p).sort((a, b) => a.fence - b.fence);
    for (let k = 1; k < held.length; k++) {
      const [a, b] = [held[k - 1], held[k]];
      if (a.end === undefined || a.end > b.start)
        violations.push(
          `partition ${p}: ${a.worker} (fence ${a.fence}) held it until ${a.end} but ${b.worker} (fence ${b.fence}) got it at ${b.start}`,
        );
    }
  }
  return violations;
}

async function worker(name, me) {
  const baton = await connectPatiently(process.env.BATON_URL);
  const d = baton.dict(name);
  const done = new AbortController();
  baton
    .event(`${name}-done`)
    .wait({ signal: done.signal })
    .then(
      () => done.abort(),
      () => undefined,
    );
  try {
    while (!done.signal.aborted) {
      // A membership lost (this process stalled past its TTL) ends its partitions: join again.
      const member = await baton
        .group(name)
        .join({ id: me, ttlMs: TTL_MS })
        .catch(async (err) => {
          if (!(err instanceof VersionConflictError)) throw err;
          await sleep(TTL_MS / 4); // our old entry has not expired yet
          return undefined;
        });
      if (!member) continue;
      const parts = member.partitions(PARTITIONS, { ttlMs: TTL_MS });
      let leaving = Promise.resolve();
      const leave = () => {
        leaving = member.leave();
      };
      // The run may have ended while we were joining: an aborted signal fires no more events.
      if (done.signal.aborted) leave();
      else done.signal.addEventListener('abort', leave, { once: true });
      const work = [];
      let failed;
      for await (const change of parts) {
        const at = Date.now();
        if (change.type === 'acquired') {
          process.send({ kind: 'grant', partition: change.partition, fence: change.lease.fence, at });
          work.push(
            processPartition(d, change.partition, change.lease).catch((err) => {
              failed ??= err;
            }),
          );
        } else {
          // A lease lost by itself ended at its deadline, which may be well before we heard of it.
          const end = change.reason === 'lost' ? Math.min(at, change.lease.expiresAt) : at;
          process.send({ kind: 'end', partition: change.partition, fence: change.lease.fence, at: end });
        }
      }
      await Promise.all(work);
      done.signal.removeEventListener('abort', leave);
      await leaving;
      if (failed) throw failed;
    }
  } finally {
    done.abort();
    await baton.close();
  }
}

/** connectPatiently connects, trying again while the store cannot be reached (this process may be SIGSTOPped while connecting). */
async function connectPatiently(url) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(url);
    } catch (err) {
      if (!(err instanceof BackendUnavailableError) || attempt >= 5) throw err;
    }
  }
}

/** processPartition works through partition `p`'s chunks from its checkpoint while `lease` holds it. */
async function processPartition(d, p, lease) {
  for (;;) {
    if (lease.lost) return;
    const ckpt = await d.getEntry(`ckpt:${p}`);
    const next = ckpt?.value.next ?? p; // the partition's chunks: p, p + PARTITIONS, …
    if (next >= CHUNKS) return;
    const chunk = await d.get(`chunk:${next}`);
    const sum = chunk.reduce((a, b) => a + b, 0);
    await sleep(WORK_MS);
    const fence = lease.fence;
    try {
      await d.batch(
        [
          { op: 'set', key: `sum:${next}`, value: { sum, partition: p, fence } },
          {
            op: 'set',
            key: `ckpt:${p}`,
            value: { next: next + PARTITIONS, partition: p, fence },
            ifVersion: ckpt?.version ?? 0,
          },
        ],
        { fence: lease },
      );
    } catch (err) {
      if (!(err instanceof StaleFenceError || err instanceof VersionConflictError)) throw err;
      await d.incr('refused').catch(() => undefined);
      return; // another owner has the partition now
    }
  }
}

// numbers makes chunk `i`: `n` pseudo-random integers from 0 to 999, the same on every run.
function numbers(i, n) {
  let seed = 42 + i;
  return Array.from({ length: n }, () => {
    seed = (seed * 48_271) % 2_147_483_647; // MINSTD: exact in doubles
    return seed % 1000;
  });
}
