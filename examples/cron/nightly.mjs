// nightly: the job a crontab line starts on every machine of a fleet, under `baton run`:
//
//   */5 * * * *  BATON_URL=http://baton.internal:7070 baton run --lock nightly-report --no-wait --ttl 1m -- node nightly.mjs
//
// `--no-wait` makes every machine but one exit 75 at once while the job runs. It cannot stop a
// machine whose cron fires after the job has finished, so the job also records the period it did
// and skips a period that is already done. Both checks happen under the lock, and the record is
// written fenced by this grant (BATON_LOCK and BATON_FENCE come from `baton run`), so a run that
// lost the lock midway cannot overwrite a newer run's record.
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'baton';

const machine = process.env.MACHINE ?? hostname();
const period = process.env.PERIOD ?? new Date().toISOString().slice(0, 10); // one run per day
const fence = { lock: process.env.BATON_LOCK, fence: Number(process.env.BATON_FENCE) };
const baton = await connect(process.env.BATON_URL);
try {
  const runs = baton.dict(process.env.CRON_DICT ?? 'nightly-runs');
  const done = await runs.get(`done:${period}`);
  if (done) {
    console.log(JSON.stringify({ machine, period, skipped: `already done by ${done.machine}` }));
  } else {
    await sleep(Number(process.env.JOB_MS ?? 2_000)); // the report itself
    await runs.set(
      `done:${period}`,
      { machine, fence: fence.fence, at: new Date().toISOString() },
      { fence },
    );
    console.log(JSON.stringify({ machine, period, ran: true, fence: fence.fence }));
  }
} finally {
  await baton.close();
}
