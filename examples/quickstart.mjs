// quickstart: the README example as a runnable script. It imports baton by its package name,
// exactly as a user's worker would, and uses only the documented API.
//   node examples/quickstart.mjs            (memory://)
//   BATON_URL=redis://127.0.0.1:6379 node examples/quickstart.mjs
import { connect, StaleFenceError } from 'baton';

const baton = await connect(process.env.BATON_URL ?? 'memory://');
try {
  const report = baton.dict('quickstart-reports');
  const rows = await baton.withLock(
    'quickstart-nightly',
    async (lease) => {
      await report.set('latest', { rows: 42 }, { fence: lease });
      return 42;
    },
    { ttlMs: 10_000, waitMs: 5_000 },
  );

  // A lease that was not extended past its TTL: its fenced writes are refused once a newer holder wrote.
  const stale = await baton.lock('quickstart-fenced', { ttlMs: 100 }).acquire();
  await new Promise((r) => setTimeout(r, 150));
  const fresh = await baton.lock('quickstart-fenced', { ttlMs: 10_000 }).acquire({ waitMs: 1_000 });
  await report.set('owner', 'fresh', { fence: fresh });
  let refused = false;
  try {
    await report.set('owner', 'stale', { fence: stale });
  } catch (err) {
    refused = err instanceof StaleFenceError;
  }
  await fresh.release();

  const stats = baton.dict('quickstart-stats');
  await Promise.all(Array.from({ length: 50 }, () => stats.incr('runs')));
  await Promise.all(Array.from({ length: 50 }, () => stats.update('total', (n) => (n ?? 0) + 2)));

  console.log(
    JSON.stringify({
      rows,
      latest: await report.get('latest'),
      owner: await report.get('owner'),
      staleRefused: refused,
      runs: await stats.get('runs'),
      total: await stats.get('total'),
    }),
  );
} finally {
  await baton.close();
}
