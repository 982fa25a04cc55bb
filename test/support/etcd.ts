/**
 * A real etcd server (or cluster member) on free loopback ports, in its own temp dir, for tests.
 *
 * `startEtcd` runs a one-member cluster; `etcd-cluster.ts` builds bigger ones from the same member
 * machinery. A member can be SIGKILLed and restarted on the same ports and data dir: with an
 * existing data dir etcd ignores the `--initial-cluster*` flags and rejoins from its WAL.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { freePorts, isPortClash } from './ports.js';
import { makeTempDir, removeTempDir, type ServerProcess, spawnServer } from './processes.js';
import { ServerStartError, waitForServer } from './wait.js';

/** EtcdHandle controls one etcd member started by `startEtcd` or `startEtcdCluster`. */
export interface EtcdHandle {
  /** url is `etcd://127.0.0.1:CLIENTPORT` (this member only). */
  readonly url: string;
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** dir is the member's data dir; removed by `stop()`. */
  readonly dir: string;
  /** pid of the current process; changes on `restart()`. */
  readonly pid: number;
  /** stop shuts the member down with SIGTERM, waits for it to exit and removes its data dir. Final. */
  stop(): Promise<void>;
  /** kill SIGKILLs the member (a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /**
   * restart starts the member again on the same ports and data dir (SIGTERM first if running) and
   * waits until it reports healthy, which needs a quorum: restart lost members together.
   */
  restart(): Promise<void>;
  /** output returns the tail of the member's log. */
  output(): string;
}

/** EtcdMemberSpec is where one member of a cluster lives; all members of a cluster share `cluster`. */
export interface EtcdMemberSpec {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dir: string;
  /** cluster is the `--initial-cluster` value, `name=http://127.0.0.1:PEERPORT,...`. */
  readonly cluster: string;
  readonly token: string;
}

const ATTEMPTS = 3;
const START_TIMEOUT_MS = 20_000;

/**
 * startEtcd starts a one-member etcd and resolves once GET /health says it is healthy. It throws a
 * `ServerStartError` (with the log tail) if etcd exits or is not healthy within 20 s.
 */
export async function startEtcd(): Promise<EtcdHandle> {
  const dir = await makeTempDir('etcd');
  try {
    for (let attempt = 1; ; attempt++) {
      const [clientPort = 0, peerPort = 0] = await freePorts(2);
      const name = 'etcd0';
      const spec = {
        name,
        clientPort,
        peerPort,
        dir,
        cluster: peerEntry(name, peerPort),
        token: randomUUID(),
      };
      try {
        return memberHandle(spec, await launchMember(spec, 'new'));
      } catch (err) {
        if (!(attempt < ATTEMPTS && err instanceof ServerStartError && isPortClash(err.output))) throw err;
      }
    }
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

/** peerEntry is one `--initial-cluster` entry. */
export function peerEntry(name: string, peerPort: number): string {
  return `${name}=http://127.0.0.1:${peerPort}`;
}

/**
 * launchMember starts etcd for `spec` and waits until it is healthy; it kills the process and
 * throws if it is not, or as soon as `signal` aborts.
 */
export async function launchMember(
  spec: EtcdMemberSpec,
  state: 'new' | 'existing',
  signal?: AbortSignal,
): Promise<ServerProcess> {
  const client = `http://127.0.0.1:${spec.clientPort}`;
  const peer = `http://127.0.0.1:${spec.peerPort}`;
  const server = await spawnServer('etcd', [
    ...['--name', spec.name, '--data-dir', spec.dir],
    ...['--listen-client-urls', client, '--advertise-client-urls', client],
    ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer],
    ...['--initial-cluster', spec.cluster, '--initial-cluster-token', spec.token],
    ...['--initial-cluster-state', state],
    ...['--auto-compaction-retention', '0', '--snapshot-count', '10000'],
    ...['--logger', 'zap', '--log-outputs', 'stderr'],
  ]);
  try {
    await waitForServer(server, () => isHealthy(spec.clientPort), {
      what: `etcd ${spec.name} on 127.0.0.1:${spec.clientPort}`,
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 50,
      signal,
    });
    return server;
  } catch (err) {
    await server.stop('SIGKILL');
    throw err;
  }
}

/** memberHandle wraps a launched member; `stop()` also removes its data dir. */
export function memberHandle(spec: EtcdMemberSpec, first: ServerProcess): EtcdHandle {
  let server = first;
  let stopped = false;
  return {
    url: `etcd://127.0.0.1:${spec.clientPort}`,
    name: spec.name,
    clientPort: spec.clientPort,
    peerPort: spec.peerPort,
    dir: spec.dir,
    get pid() {
      return server.pid;
    },
    async stop() {
      stopped = true;
      await server.stop('SIGTERM');
      await removeTempDir(spec.dir);
    },
    kill: () => server.stop('SIGKILL'),
    async restart() {
      if (stopped) throw new Error(`etcd ${spec.name} was stopped for good; cannot restart`);
      await server.stop('SIGTERM');
      server = await launchMember(spec, 'existing');
    },
    output: () => server.output(),
  };
}

/** isHealthy asks GET /health on the client port; etcd answers {"health":"true"} only with a quorum. */
async function isHealthy(clientPort: number): Promise<boolean> {
  const reply = await etcdHttp(clientPort, 'GET', '/health');
  return (reply as { health?: unknown } | undefined)?.health === 'true';
}

/** etcdHttp sends one request to a member's client port and resolves with the parsed JSON reply (undefined if not JSON). */
export function etcdHttp(
  clientPort: number,
  method: 'GET' | 'POST',
  path: string,
  body = '',
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1',
      port: clientPort,
      method,
      path,
      agent: false,
      timeout: 2000,
    });
    request.once('timeout', () => request.destroy(new Error(`${method} ${path} timed out`)));
    request.once('error', reject);
    request.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.once('error', reject);
      response.once('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(undefined);
        }
      });
    });
    request.end(body);
  });
}
