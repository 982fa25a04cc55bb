// manager: Python's multiprocessing.Manager() dict, done right. The Python original:
//
//   with Manager() as manager:
//       d = manager.dict()
//       procs = [Process(target=f, args=(d, i)) for i in range(10)]   # f: d[i] = i + 100
//       ...                                                            # and d['count'] += 1 loses updates
//
//   node examples/manager/manager.mjs                               (starts its own `baton serve`)
//   BATON_URL=redis://127.0.0.1:6379 WORKERS=10 EACH=100 node examples/manager/manager.mjs
//
// Every child process sets d[i] = i + 100 — independent keys, nothing to get wrong. Then each
// adds 1 to three counters EACH times: with `incr` (one atomic step in the store), with
// `update(fn)` (an optimistic compare-and-set loop that retries on a conflict), and the naive way,
// `get` then `set`, which is what `d['count'] += 1` does through a Manager proxy: two processes
// read the same value, both write value + 1, and one increment is lost.
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from 'baton';
import { forkAll, sharedBackend } from '../shared/backend.mjs';

const [role, name, index] = process.argv.slice(2);
if (role === 'child') await child(name, Number(index));
else await main();

async function main() {
  const workers = Number(process.env.WORKERS ?? 8);
  const each = Number(process.env.EACH ?? 50);
  const name = `manager-${process.pid}-${Date.now().toString(36)}`;
  const backend = await sharedBackend();
  try {
    const script = fileURLToPath(import.meta.url);
    const codes = await forkAll(script, workers, (i) => ['child', name, String(i)], {
      BATON_URL: backend.url,
      EACH: String(each),
    });
    const baton = await connect(backend.url);
    try {
      const d = baton.dict(name);
      const squares = {};
      for (const key of await d.keys()) if (/^\d+$/.test(key)) squares[key] = await d.get(key);
      const expected = workers * each;
      const naive = await d.get('naive');
      console.log(
        JSON.stringify({
          workers,
          each,
          exitCodes: codes,
          d: squares,
          expected,
          incr: await d.get('incr'),
          update: await d.get('update'),
          naive,
          lostByNaive: expected - naive,
        }),
      );
      await d.clear();
    } finally {
      await baton.close();
    }
  } finally {
    await backend.close();
  }
}

async function child(name, i) {
  const each = Number(process.env.EACH);
  const baton = await connect(process.env.BATON_URL);
  try {
    const d = baton.dict(name);
    await d.set(String(i), i + 100); // d[i] = i + 100
    for (let n = 0; n < each; n++) {
      await d.incr('incr'); // right: atomic in the store
      await d.update('update', (v) => (v ?? 0) + 1); // right: retried on conflict, so fn must be pure
      const v = (await d.get('naive')) ?? 0; // wrong: another process may write between these two lines
      await yieldToOthers(); // (any await here widens the window; real work would too)
      await d.set('naive', v + 1);
    }
  } finally {
    await baton.close();
  }
}
