// The shared-backend helper of the multi-process examples. Processes only share locks and dicts
// through a store they can all reach, and memory:// lives inside one process, so:
//   - BATON_URL=http://…, redis://…, etcd://… (any shared store): used as it is;
//   - BATON_URL unset or memory://…: start `baton serve` on a free loopback port over that memory
//     store (what a user would do by hand in another terminal) and stop it at the end.
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** batonBin returns the path of the installed `baton` command (the package's "bin"). */
export function batonBin() {
  const pkgFile = fileURLToPath(import.meta.resolve('baton/package.json'));
  const { bin } = JSON.parse(readFileSync(pkgFile, 'utf8'));
  return join(dirname(pkgFile), bin.baton);
}

/**
 * sharedBackend resolves to `{ url, close }`: a backend URL every process can reach, and a
 * function that stops the server it started (if any). Rejects when `baton serve` fails to start.
 */
export async function sharedBackend() {
  const given = process.env.BATON_URL;
  if (given && !given.startsWith('memory:')) return { url: given, close: async () => {} };
  const args = ['serve', '--port', '0', '--backend', given || 'memory://', '--log-level', 'info'];
  const server = spawn(process.execPath, [batonBin(), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killOnExit = () => server.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const m = /"url":"(http:[^"]+)".*"msg":"baton listening"/.exec(out);
      if (!m) return;
      server.stdout.off('data', onData);
      server.stdout.resume(); // keep draining the request log
      server.off('exit', onExit);
      resolve(m[1]);
    };
    const onExit = (code) => reject(new Error(`baton serve exited with ${code}: ${out}`));
    server.stdout.setEncoding('utf8').on('data', onData);
    server.once('exit', onExit);
  });
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        process.off('exit', killOnExit);
        if (server.exitCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      }),
  };
}

/** forkAll forks `count` copies of `script` with `args(i)` and `env`; resolves to their exit codes. */
export function forkAll(script, count, args, env) {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise((resolve) => {
          fork(script, args(i), { env: { ...process.env, ...env } }).on('exit', (code) => resolve(code));
        }),
    ),
  );
}
