/**
 * groupRoutes and electionRoutes: the fleet recipes over REST, stateless over the recipes'
 * storage so that REST clients and library processes share one group or election.
 *
 * A REST member is the entry `<member>` of the dict `_baton.group:<group>`, value `{ id, meta }`,
 * with a TTL, exactly as `group.join` writes it: join is a set-if-absent with that TTL,
 * heartbeat a compare-and-set on the version the last join or heartbeat returned (so a member
 * whose entry expired or was taken learns it: 412, join again), leave a delete. The server keeps
 * nothing per member: a client that stops heartbeating leaves within its TTL. Group watch is the
 * dict's watch mapped to join/leave events, as `group.watch()` yields them.
 *
 * An election's leader is the entry `<election>` of `_baton.elections` (`{ value, fence }`);
 * campaigning over REST is the lock endpoints on `_baton.election:<election>` plus a fenced PUT
 * of that entry (docs/REST.md).
 *
 * Rights: group reads (members, watch) need `read`, writes (join, heartbeat, leave) `write`, on
 * the dict `_baton.group:<group>`; election reads need `read` on the lock
 * `_baton.election:<election>`. How they fail: 412 `version_conflict` when the id is taken
 * (join) or the version no longer holds (heartbeat, leave with If-Match); 404 `not_found` when an
 * election has no leader; 400 for a bad name, id, meta or TTL (nothing written); 410 on a watch
 * whose history is gone.
 */

import { NotFoundError, VersionConflictError } from '../../errors.js';
import { assignPartitions, groupDict, type JsonValue, type Leader, type Member } from '../../index.js';
import type { GroupChange } from '../../recipes/group.js';
import type { RouteDeps } from '../options.js';
import { defineRoute, type Route } from '../route.js';
import {
  ElectionParams,
  GroupParams,
  GroupWatchQuery,
  HeartbeatBody,
  JoinBody,
  LeaderBody,
  LeaveHeaders,
  LeftBody,
  MemberParams,
  MembersBody,
  MembershipBody,
  MembersQuery,
} from '../schemas.js';
import { counted, ifVersionFrom } from './conditions.js';
import { sseEvent, streamRoute } from './sse.js';
import { eventId, resumableRoute } from './watch.js';

const GROUP_PREFIX = groupDict('');
const GROUP_READ = { kind: 'dict', right: 'read', param: 'group', prefix: GROUP_PREFIX } as const;
const GROUP_WRITE = { kind: 'dict', right: 'write', param: 'group', prefix: GROUP_PREFIX } as const;
const ELECTION_READ = { kind: 'lock', right: 'read', param: 'election', prefix: '_baton.election:' } as const;
const DEFAULT_MEMBER_TTL_MS = 10_000;
const MEMBER_PATH = '/v1/groups/:group/members/:member';
/** MEMBER_WRITE is what join, heartbeat and leave share: one member's path, `write`, and 412 (version). */
const MEMBER_WRITE = { tag: 'groups', access: GROUP_WRITE, params: MemberParams, problems: [412] } as const;

/** groupRoutes declares the /v1/groups/{group} endpoints. */
export function groupRoutes(deps: RouteDeps): Route[] {
  const { baton, metrics } = deps;
  /** members is the group's dict, after the group name is checked (400 when too long). */
  const members = (group: string) => {
    baton.group(group);
    return baton.dict<Member>(groupDict(group));
  };
  return [
    defineRoute({
      ...MEMBER_WRITE,
      method: 'put',
      path: MEMBER_PATH,
      summary: 'Join a group: add this member with a TTL (keep it with heartbeats)',
      body: JoinBody,
      emptyBodyAs: {},
      responses: { 201: { description: 'joined', schema: MembershipBody } },
      async handler({ params, body, res }) {
        const ttlMs = body.ttlMs ?? DEFAULT_MEMBER_TTL_MS;
        const record: Member =
          body.meta === undefined
            ? { id: params.member }
            : { id: params.member, meta: body.meta as JsonValue };
        const version = await counted(metrics, 'set', () =>
          members(params.group).set(params.member, record, { ttlMs, ifVersion: 0 }),
        );
        res.status(201).json({ id: params.member, version, ttlMs });
      },
    }),
    defineRoute({
      ...MEMBER_WRITE,
      method: 'post',
      path: `${MEMBER_PATH}/heartbeat`,
      summary: "Renew a membership at the last join's or heartbeat's version",
      body: HeartbeatBody,
      responses: { 200: { description: 'renewed; send the new version next time', schema: MembershipBody } },
      async handler({ params, body, res }) {
        const ttlMs = body.ttlMs ?? DEFAULT_MEMBER_TTL_MS;
        const dict = members(params.group);
        const version = await counted(metrics, 'set', async () => {
          const e = await dict.getEntry(params.member);
          if (e?.version !== body.version) {
            throw new VersionConflictError(
              params.member,
              body.version,
              e?.version,
              `member "${params.member}" of group "${params.group}" is not at version ${body.version}: it expired or was taken; join again`,
            );
          }
          return dict.set(params.member, e.value, { ttlMs, ifVersion: body.version });
        });
        res.json({ id: params.member, version, ttlMs });
      },
    }),
    defineRoute({
      ...MEMBER_WRITE,
      method: 'delete',
      path: MEMBER_PATH,
      summary: 'Leave a group (If-Match: only at that version)',
      headers: LeaveHeaders,
      responses: { 200: { description: 'whether the member was there', schema: LeftBody } },
      async handler({ params, headers, res }) {
        const ifVersion = ifVersionFrom(headers);
        const left = await counted(metrics, 'delete', () =>
          members(params.group).delete(params.member, { ifVersion }),
        );
        res.json({ left });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/groups/:group/members',
      summary: "A group's live members, ordered by id (and optionally the partition assignment)",
      tag: 'groups',
      access: GROUP_READ,
      params: GroupParams,
      query: MembersQuery,
      responses: { 200: { description: 'the members', schema: MembersBody } },
      async handler({ params, query, res }) {
        const list = await counted(metrics, 'list', () => baton.group(params.group).members());
        const out = list.map((m) => (m.meta === undefined ? { id: m.id } : { id: m.id, meta: m.meta }));
        const assignment =
          query.partitions === undefined
            ? undefined
            : assignPartitions(
                query.partitions,
                list.map((m) => m.id),
              ).map((owner) => owner ?? null);
        res.json({ members: out, ...(assignment ? { assignment } : {}) });
      },
    }),
    resumableRoute(deps, {
      path: '/v1/groups/:group/watch',
      summary: 'Stream joins and leaves as Server-Sent Events (resumable with Last-Event-ID)',
      tag: 'groups',
      access: GROUP_READ,
      params: GroupParams,
      query: GroupWatchQuery,
      description: 'the present members as join events, then every join and leave',
      open: ({ params, signal }, from) => baton.group(params.group).watch({ ...from, signal }),
      render: groupEventOf,
    }),
  ];
}

/** electionRoutes declares the /v1/elections/{election} endpoints. */
export function electionRoutes(deps: RouteDeps): Route[] {
  const { baton, metrics } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/elections/:election',
      summary: "An election's current leader: its value and fence",
      tag: 'elections',
      access: ELECTION_READ,
      params: ElectionParams,
      responses: { 200: { description: 'the leader', schema: LeaderBody } },
      problems: [404],
      async handler({ params, res }) {
        const leader = await counted(metrics, 'get', () => baton.election(params.election).leader());
        if (!leader) throw new NotFoundError(`election "${params.election}" has no leader`);
        res.json({ value: leader.value, fence: leader.fence });
      },
    }),
    streamRoute(deps, {
      path: '/v1/elections/:election/observe',
      summary: 'Stream leader changes as Server-Sent Events (the current one first)',
      tag: 'elections',
      access: ELECTION_READ,
      params: ElectionParams,
      description: 'an endless text/event-stream of leader and none events',
      open: ({ params, signal }) => baton.election(params.election).observe({ signal }),
      render: leaderEventOf,
    }),
  ];
}

/** groupEventOf renders a join or leave; its id resumes the watch. */
function groupEventOf(c: GroupChange): string {
  const data =
    c.type === 'join'
      ? c.meta === undefined
        ? { id: c.id, version: c.version }
        : { id: c.id, meta: c.meta, version: c.version }
      : { id: c.id, reason: c.reason, version: c.version };
  return sseEvent(c.type, data, eventId(c.version, c.history));
}

/** leaderEventOf renders a leader (or none); observe has no resume: it starts from the present. */
function leaderEventOf(l: Leader | undefined): string {
  return l === undefined ? sseEvent('none', {}) : sseEvent('leader', { value: l.value, fence: l.fence });
}
