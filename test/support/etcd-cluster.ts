/**
 * A real etcd cluster on free loopback ports, for tests. Members are `EtcdHandle`s: each can be
 * killed and restarted, and rejoins from its data dir.
 */
import { randomUUID } from 'node:crypto';
import {
  type EtcdHandle,
  type EtcdMemberSpec,
  etcdHttp,
  launchMember,
  memberHandle,
  peerEntry,
} from './etcd.js';
import { freePorts, isPortClash } from './ports.js';
import { makeTempDir, removeTempDir } from './processes.js';
import { ServerStartError } from './wait.js';

/** EtcdClusterHandle controls a cluster started by `startEtcdCluster`. */
export interface EtcdClusterHandle {
  /** url is `etcd://127.0.0.1:C1,127.0.0.1:C2,...` (client ports). */
  readonly url: string;
  readonly members: readonly EtcdHandle[];
  /**
   * leader finds the member that is leader now (asking the running members); throws if none of
   * them knows a leader.
   */
  leader(): Promise<EtcdHandle>;
  /** stop SIGKILLs every member and removes their data dirs. */
  stop(): Promise<void>;
}

const ATTEMPTS = 3;

/**
 * startEtcdCluster starts `members` etcd members together and resolves once every one is healthy.
 * It throws a `ServerStartError` (with the failing member's log tail) if one exits or is not
 * healthy within 20 s, after stopping every member it started.
 */
export async function startEtcdCluster(members = 3): Promise<EtcdClusterHandle> {
  const dirs = await Promise.all(Array.from({ length: members }, () => makeTempDir('etcd')));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launchCluster(dirs);
      } catch (err) {
        if (!(attempt < ATTEMPTS && err instanceof ServerStartError && isPortClash(err.output))) throw err;
        await Promise.all(dirs.map((dir) => removeTempDir(dir)));
        dirs.splice(0, dirs.length, ...(await Promise.all(dirs.map(() => makeTempDir('etcd')))));
      }
    }
  } catch (err) {
    await Promise.all(dirs.map((dir) => removeTempDir(dir)));
    throw err;
  }
}

async function launchCluster(dirs: readonly string[]): Promise<EtcdClusterHandle> {
  const ports = await freePorts(dirs.length * 2);
  const token = randomUUID();
  const base = dirs.map((dir, i) => ({
    name: `etcd${i}`,
    dir,
    clientPort: ports[2 * i]!,
    peerPort: ports[2 * i + 1]!,
  }));
  const cluster = base.map((member) => peerEntry(member.name, member.peerPort)).join(',');
  const specs = base.map((member) => ({ ...member, cluster, token }));
  const handles = await launchTogether(specs);
  const clients = specs.map((spec) => `127.0.0.1:${spec.clientPort}`);
  return {
    url: `etcd://${clients.join(',')}`,
    members: handles,
    leader: () => findLeader(handles),
    async stop() {
      // SIGKILL first: members stopped together with SIGTERM each wait ~7 s trying to hand over
      // leadership, and the data is thrown away anyway.
      await Promise.all(handles.map((member) => member.kill()));
      await Promise.all(handles.map((member) => member.stop()));
    },
  };
}

/** launchTogether starts every member at once (none is healthy before a quorum is up); all or none. */
async function launchTogether(specs: readonly EtcdMemberSpec[]): Promise<EtcdHandle[]> {
  const abort = new AbortController();
  let firstError: unknown;
  const settled = await Promise.allSettled(
    specs.map((spec) =>
      launchMember(spec, 'new', abort.signal).catch((err: unknown) => {
        firstError ??= err;
        abort.abort(new Error('another member failed to start'));
        throw err;
      }),
    ),
  );
  const servers = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (servers.length < specs.length) {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    throw firstError;
  }
  return servers.map((server, i) => memberHandle(specs[i]!, server));
}

interface StatusReply {
  readonly header?: { readonly member_id?: string };
  readonly leader?: string;
}

async function findLeader(members: readonly EtcdHandle[]): Promise<EtcdHandle> {
  const replies = await Promise.all(
    members.map((member) =>
      etcdHttp(member.clientPort, 'POST', '/v3/maintenance/status', '{}').then(
        (reply) => reply as StatusReply | undefined,
        () => undefined,
      ),
    ),
  );
  const leaderId = replies.find((reply) => reply?.leader !== undefined && reply.leader !== '0')?.leader;
  const index = replies.findIndex((reply) => reply?.header?.member_id === leaderId);
  if (leaderId === undefined || index < 0) throw new Error('no running etcd member knows a leader');
  return members[index]!;
}
