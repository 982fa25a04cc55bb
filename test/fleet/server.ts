/**
 * A `baton serve` process (src/cli/main.ts through tsx) on a fixed loopback port, so it can be
 * stopped and started again at the same URL while clients keep using it. Tracked by
 * test/support/processes.ts, so it never outlives the test run.
 *
 * How it fails: `startBatonServer` / `start()` throw a ServerStartError with the server's log
 * tail when it exits or does not answer /healthz within 20 s.
 */
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.js';
import { type ServerProcess, spawnServer } from '../support/processes.js';
import { waitForServer } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** BatonServer controls one `baton serve` process. */
export interface BatonServer {
  /** url is `http://127.0.0.1:PORT`; it stays the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** pid of the current process, or undefined while stopped. */
  readonly pid: number | undefined;
  /** stop ends the process with `signal` (SIGTERM: graceful drain; SIGKILL: a crash) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** start starts it again on the same port; a no-op while it runs. */
  start(): Promise<void>;
  /** exitedOnItsOwn tells whether the process ended without `stop()` being called. */
  exitedOnItsOwn(): boolean;
  /** output is the tail of the current (or last) process's log. */
  output(): string;
}

/** startBatonServer runs `baton serve --backend <backend>` on a free port and waits for /healthz. */
export async function startBatonServer(
  backend: string,
  extraArgs: readonly string[] = [],
): Promise<BatonServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    ...['--import', 'tsx', MAIN, 'serve', '--backend', backend, '--port', String(port)],
    ...['--log-level', 'warn', '--shutdown-ms', '2000', ...extraArgs],
  ];
  let current: ServerProcess | undefined;
  let stopping = false;
  let died = false;
  const launch = async (): Promise<void> => {
    stopping = false;
    const server = await spawnServer(process.execPath, args);
    void server.exited.then(() => {
      if (!stopping) died = true;
    });
    try {
      await waitForServer(server, async () => (await fetch(`${url}/healthz`)).ok, {
        what: `baton serve on ${url}`,
        timeoutMs: 20_000,
        intervalMs: 50,
      });
    } catch (err) {
      stopping = true;
      await server.stop('SIGKILL');
      throw err;
    }
    current = server;
  };
  await launch();
  return {
    url,
    port,
    get pid() {
      return current?.hasExited() === false ? current.pid : undefined;
    },
    async stop(signal = 'SIGTERM') {
      stopping = true;
      await current?.stop(signal);
    },
    async start() {
      if (current?.hasExited() === false) return;
      await launch();
    },
    exitedOnItsOwn: () => died,
    output: () => current?.output() ?? '',
  };
}
