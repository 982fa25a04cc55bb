// simulate: N machines whose crontab fires at the same moment, each running
//
//   baton run --lock <lock> --no-wait -- node nightly.mjs
//
// Exactly one machine does the job. The others exit 75 (EX_TEMPFAIL) because the lock is busy,
// or, if one starts after the job finished, find the period done and skip it.
//
//   node examples/cron/simulate.mjs                                 (starts its own `baton serve`)
//   BATON_URL=redis://127.0.0.1:6379 MACHINES=8 node examples/cron/simulate.mjs
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'baton';
import { batonBin, sharedBackend } from '../shared/backend.mjs';

const machines = Number(process.env.MACHINES ?? 5);
const run = `cron-${process.pid}-${Date.now().toString(36)}`;
const job = fileURLToPath(new URL('./nightly.mjs', import.meta.url));
const backend = await sharedBackend();
try {
  const results = await Promise.all(
    Array.from({ length: machines }, (_, i) =>
      machine(`machine-${i}`, ['run', '--lock', `${run}-lock`, '--no-wait', '--ttl', '10s'], {
        BATON_URL: backend.url,
        CRON_DICT: run,
        PERIOD: '2030-01-01',
      }),
    ),
  );
  const summary = {
    machines,
    ran: results.filter((r) => r.output?.ran).map((r) => r.name),
    busy: results.filter((r) => r.code === 75).map((r) => r.name),
    skipped: results.filter((r) => r.output?.skipped).map((r) => r.name),
    exitCodes: results.map((r) => r.code),
  };
  console.log(JSON.stringify(summary));
  const baton = await connect(backend.url);
  await baton.dict(run).clear();
  await baton.close();
  process.exitCode = summary.ran.length === 1 ? 0 : 1;
} finally {
  await backend.close();
}

// machine runs `baton …args -- node nightly.mjs` as one machine's cron would; resolves to its exit
// code and the job's JSON line, if it ran.
function machine(name, args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [batonBin(), ...args, '--', process.execPath, job], {
      env: { ...process.env, ...env, MACHINE: name },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c;
    });
    child.on('close', (code) => resolve({ name, code, output: out.trim() ? JSON.parse(out) : undefined }));
  });
}
