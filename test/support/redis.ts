/**
 * A real redis-server on a free loopback port, in its own temp dir, for tests.
 *
 * Configuration is passed as command-line arguments; nothing is daemonized, so the process is ours
 * to stop, SIGKILL and restart (on the same port and data dir, to test durability).
 */
import { freePort, isPortClash } from './ports.js';
import { makeTempDir, removeTempDir, type ServerProcess, spawnServer } from './processes.js';
import { redisCommand } from './resp.js';
import { ServerStartError, waitForServer } from './wait.js';

/** RedisOptions configure `startRedis`; by default nothing is persisted. */
export interface RedisOptions {
  /** appendonly turns on the AOF (`appendonly yes`). */
  readonly appendonly?: boolean;
  /** appendfsync sets the AOF fsync policy; `always` makes acknowledged writes survive SIGKILL. */
  readonly appendfsync?: 'always' | 'everysec';
  /** port to listen on; a free one when omitted (and retried on a clash). */
  readonly port?: number;
  /** persistence keeps redis's default RDB snapshots instead of `--save ''`. */
  readonly persistence?: boolean;
  /** cluster starts a cluster node: `cluster-enabled yes`, its own nodes.conf and a free bus port. */
  readonly cluster?: boolean;
  /** extraArgs are appended to the command line, e.g. `['--maxmemory', '10mb']`. */
  readonly extraArgs?: readonly string[];
}

/** RedisHandle controls one redis-server started by `startRedis`. */
export interface RedisHandle {
  /** url is `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** dir is the server's data dir (AOF, RDB, nodes.conf); removed by `stop()`. */
  readonly dir: string;
  /** pid of the current process; changes on `restart()`. */
  readonly pid: number;
  /** stop shuts the server down with SIGTERM, waits for it to exit and removes its data dir. Final. */
  stop(): Promise<void>;
  /** kill SIGKILLs the server (a crash: no shutdown save) and waits for it to exit. */
  kill(): Promise<void>;
  /** restart starts the server again on the same port and data dir (SIGTERM first if running) and waits for PING. */
  restart(): Promise<void>;
  /** output returns the tail of the server's log. */
  output(): string;
}

const ATTEMPTS = 3;

/**
 * startRedis starts redis-server and resolves once it answers PING. It throws a `ServerStartError`
 * (with the server's log tail) if the server exits or stays silent for 10 s.
 */
export async function startRedis(options: RedisOptions = {}): Promise<RedisHandle> {
  const dir = await makeTempDir('redis');
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const args = await redisArgs(port, dir, options);
      try {
        return handle(port, dir, args, await launch(port, args));
      } catch (err) {
        const retry = options.port === undefined && attempt < ATTEMPTS;
        if (!(retry && err instanceof ServerStartError && isPortClash(err.output))) throw err;
      }
    }
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

async function redisArgs(port: number, dir: string, options: RedisOptions): Promise<string[]> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no'];
  args.push('--daemonize', 'no', '--dir', dir, '--logfile', '');
  if (options.persistence !== true) args.push('--save', '');
  if (options.appendonly === true) args.push('--appendonly', 'yes');
  if (options.appendfsync !== undefined) args.push('--appendfsync', options.appendfsync);
  if (options.cluster === true) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
    args.push('--cluster-port', String(await freePort()));
  }
  args.push(...(options.extraArgs ?? []));
  return args;
}

async function launch(port: number, args: readonly string[]): Promise<ServerProcess> {
  const server = await spawnServer('redis-server', args);
  try {
    await waitForServer(server, async () => (await redisCommand(port, ['PING'])) === 'PONG', {
      what: `redis-server on 127.0.0.1:${port}`,
    });
    return server;
  } catch (err) {
    await server.stop('SIGKILL');
    throw err;
  }
}

function handle(port: number, dir: string, args: readonly string[], first: ServerProcess): RedisHandle {
  let server = first;
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return server.pid;
    },
    async stop() {
      stopped = true;
      await server.stop('SIGTERM');
      await removeTempDir(dir);
    },
    kill: () => server.stop('SIGKILL'),
    async restart() {
      if (stopped) throw new Error(`redis-server on 127.0.0.1:${port} was stopped for good; cannot restart`);
      await server.stop('SIGTERM');
      server = await launch(port, args);
    },
    output: () => server.output(),
  };
}
