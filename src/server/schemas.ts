/**
 * Schemas: every path parameter, query, header and body the REST API accepts, and every success
 * body it returns, as zod schemas. Routes validate with them and `/openapi.json` is generated
 * from them, so the two cannot drift. Objects are strict: an unknown field is a 400
 * invalid_argument. The library validates again below (keys, values, TTLs); these checks make the
 * error name the field and happen before any backend call.
 */
import { z } from 'zod';
import { FENCE_SCOPE_PATTERN } from '../fence-scope.js';
import { MAX_KEY_BYTES, MAX_NAME_LENGTH, MAX_PARTITIONS, MAX_PERMITS, MAX_TTL_MS } from '../index.js';

const NAME_RE = /^[A-Za-z0-9._:-]{1,200}$/;

/** Name is a lock or dict name: 1-200 characters of A-Z a-z 0-9 . _ : - */
export const Name = z
  .string()
  .regex(NAME_RE, `must be 1-${MAX_NAME_LENGTH} characters of A-Z a-z 0-9 . _ : -`)
  .meta({ example: 'nightly-report' });

/** FenceScope is what a fenced write names: a lock, or rwlock/<name> or semaphore/<name>. */
export const FenceScope = z
  .string()
  .regex(FENCE_SCOPE_PATTERN, 'must be a lock name, or rwlock/<name> or semaphore/<name>')
  .meta({ example: 'nightly-report' });

/** Key is a dict key: 1-1024 UTF-8 bytes, no NUL, well-formed Unicode (percent-encoded in paths). */
export const Key = z
  .string()
  .min(1)
  .refine((k) => !k.includes('\u0000'), 'must not contain NUL')
  .refine((k) => k.isWellFormed(), 'must be well-formed Unicode')
  .refine(
    (k) => Buffer.byteLength(k, 'utf8') <= MAX_KEY_BYTES,
    `must be at most ${MAX_KEY_BYTES} UTF-8 bytes`,
  )
  .meta({ description: `Any UTF-8 string of 1-${MAX_KEY_BYTES} bytes without NUL`, example: 'job-42' });

/** TtlMs is a lease or entry TTL in integer milliseconds, 1 to 2^31-1. */
export const TtlMs = z.int().min(1).max(MAX_TTL_MS);
/** WaitMs is how long to wait in integer milliseconds, 0 to 2^31-1 (the server caps one request). */
export const WaitMs = z.int().min(0).max(MAX_TTL_MS);
/** Version is a dict version (0 = absent). */
export const Version = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Fence is a lock's fencing token: a positive integer. */
export const Fence = z.int().min(1).max(Number.MAX_SAFE_INTEGER);
/** LockToken is the secret owner token of a lease. */
export const LockToken = z.string().regex(/^[\x21-\x7e]{1,256}$/, 'must be 1-256 visible ASCII characters');
/** JsonValue is any JSON value stored in a dict. */
export const JsonValue = z.unknown().meta({ description: 'any JSON value' });

/** queryInt is an integer query-string parameter from `min` to `max`. */
export function queryInt(min: number, max: number, description: string) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.int().min(min).max(max))
    .meta({ description });
}

const Prefix = z.string().max(4096).meta({ description: 'only keys or names starting with this' });
const Limit = (max: number, dflt: number) => queryInt(1, max, `page size, default ${dflt}`);

// ---- path parameters -------------------------------------------------------------------------

/** LockParams addresses one lock. */
export const LockParams = z.strictObject({ name: Name });
/** DictParams addresses one dict. */
export const DictParams = z.strictObject({ dict: Name });
/** GroupParams addresses one group (its members are the dict `_baton.group:<group>`). */
export const GroupParams = z.strictObject({ group: Name });
/** MemberId names a group member: 1-64 of A-Z a-z 0-9 . _ : - */
export const MemberId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -');
/** MemberParams addresses one member of one group. */
export const MemberParams = z.strictObject({ group: Name, member: MemberId });
/** ElectionParams addresses one election (its lock is `_baton.election:<election>`). */
export const ElectionParams = z.strictObject({ election: Name });
/** KeyParams addresses one key of one dict. */
export const KeyParams = z.strictObject({ dict: Name, key: Key });

// ---- headers ---------------------------------------------------------------------------------

const ETag = z.string().regex(/^"(0|[1-9][0-9]{0,15})"$/, 'must be a quoted version such as "12"');
const FenceHeader = z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a positive integer');

/** FenceHeaders are the fenced-write headers; lock and fence come together, the token is optional. */
export const FenceHeaders = z.looseObject({
  'baton-fence-lock': FenceScope.optional().meta({
    description: 'the lock whose fence guards this write (rwlock/<name> or semaphore/<name> for those)',
  }),
  'baton-fence': FenceHeader.optional().meta({ description: "the writer's fence for that lock" }),
  'baton-lock-token': LockToken.optional().meta({
    description: 'the lease token; the store then also checks that it still holds the lock',
  }),
});
/** WriteHeaders are the conditions on PUT: If-Match or If-None-Match: *, plus fence headers. */
export const PutHeaders = FenceHeaders.extend({
  'if-match': ETag.optional().meta({ description: 'only if the entry has this version' }),
  'if-none-match': z.literal('*').optional().meta({ description: 'only if the key is absent' }),
});
/** DeleteHeaders: If-Match plus fence headers. */
export const DeleteHeaders = FenceHeaders.extend({
  'if-match': ETag.optional().meta({ description: 'only if the entry has this version' }),
});
/** LeaveHeaders: If-Match makes a leave conditional on the member's version. */
export const LeaveHeaders = z.looseObject({
  'if-match': ETag.optional().meta({
    description: 'only if the member entry has this version (from join/heartbeat)',
  }),
});
/** WatchHeaders: Last-Event-ID resumes a stream after that version (of that history). */
export const WatchHeaders = z.looseObject({
  'last-event-id': z
    .string()
    .regex(/^(?:[\x21-\x7e]{1,128}:)?(?:0|[1-9][0-9]{0,15})$/, 'must be <history>:<version> or <version>')
    .optional()
    .meta({
      description:
        'resume after this event id: `<history>:<version>`, or a plain `<version>` (no history check); overrides fromVersion and history',
    }),
});

// ---- queries ---------------------------------------------------------------------------------

/** NoQuery is the query of routes that take none. */
export const NoQuery = z.strictObject({});
/** PutQuery carries the entry TTL. */
export const PutQuery = z.strictObject({ ttlMs: queryInt(1, MAX_TTL_MS, 'entry TTL in ms').optional() });
/** ListLocksQuery pages the held locks. */
export const ListLocksQuery = z.strictObject({
  prefix: Prefix.optional(),
  limit: Limit(10_000, 1000).optional(),
  cursor: Name.optional().meta({ description: 'from the previous page: only names after it' }),
});
/** ListEntriesQuery pages a dict. */
export const ListEntriesQuery = z.strictObject({
  prefix: Prefix.optional(),
  limit: Limit(10_000, 100).optional(),
  cursor: z.string().max(4096).optional().meta({ description: 'from the previous page' }),
});
/** ListDictsQuery pages the dict names. */
export const ListDictsQuery = ListLocksQuery;
/** WatchQuery selects the changes to stream. */
export const WatchQuery = z.strictObject({
  prefix: Prefix.optional(),
  fromVersion: queryInt(0, Number.MAX_SAFE_INTEGER, 'stream changes after this version').optional(),
  history: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be a history id')
    .optional()
    .meta({ description: 'the history fromVersion belongs to (410 when the dict is in another one)' }),
});
/** MembersQuery may ask for the partition assignment of the members read. */
export const MembersQuery = z.strictObject({
  partitions: queryInt(1, MAX_PARTITIONS, 'also return assignPartitions(partitions, member ids)').optional(),
});
/** GroupWatchQuery resumes a group watch after a version of a history. */
export const GroupWatchQuery = WatchQuery.omit({ prefix: true });

// ---- request bodies --------------------------------------------------------------------------

/** AcquireBody asks for a lease. */
export const AcquireBody = z.strictObject({
  ttlMs: TtlMs.optional().meta({ description: 'lease length, default 30000' }),
  waitMs: WaitMs.optional().meta({ description: 'how long to wait, default 0; capped per request' }),
  owner: z.string().max(200).optional().meta({ description: 'label shown by inspect' }),
});
/** Permits is a semaphore's size, or a number of its permits: 1 to 2^20. */
export const Permits = z.int().min(1).max(MAX_PERMITS);
/** SemaphoreAcquireBody asks for `count` permits of a semaphore of `permits`. */
export const SemaphoreAcquireBody = AcquireBody.extend({
  permits: Permits.optional().meta({
    description:
      "the semaphore's size: fixed by the first acquire of an unused semaphore (then required), must match while it is in use; omitted, the size in use",
  }),
  count: Permits.optional().meta({ description: 'how many permits this lease takes, default 1' }),
});
/** RwLockAcquireBody asks for a read (shared) or write (exclusive) lease. */
export const RwLockAcquireBody = AcquireBody.extend({
  mode: z.enum(['read', 'write']).meta({ description: 'read: shared with other readers; write: exclusive' }),
});
/** ExtendBody extends a lease. */
export const ExtendBody = z.strictObject({ token: LockToken, ttlMs: TtlMs.optional() });
/** ReleaseBody releases a lease. */
export const ReleaseBody = z.strictObject({ token: LockToken });
/** IncrBody adds to a number. */
export const IncrBody = z.strictObject({ by: z.number().optional().meta({ description: 'default 1' }) });
/** SetIfAbsentBody stores a value only if the key is absent. */
export const SetIfAbsentBody = z.strictObject({ value: JsonValue, ttlMs: TtlMs.optional() });
/** JoinBody is what a member shows (`meta`) and its TTL, default 10000. */
export const JoinBody = z.strictObject({
  meta: JsonValue.optional(),
  ttlMs: TtlMs.optional().meta({ description: 'membership TTL, default 10000; heartbeat within it' }),
});
/** HeartbeatBody renews a membership at the version the last join or heartbeat returned. */
export const HeartbeatBody = z.strictObject({
  version: Version.meta({ description: 'from the last join or heartbeat' }),
  ttlMs: TtlMs.optional().meta({ description: 'new TTL, default 10000' }),
});
/** MembershipBody answers a join or heartbeat. */
export const MembershipBody = z.object({ id: MemberId, version: Version, ttlMs: TtlMs });
/** LeftBody answers a leave. */
export const LeftBody = z.object({ left: z.boolean() });
/** MembersBody lists a group's live members, ordered by id. */
export const MembersBody = z.object({
  members: z.array(z.object({ id: MemberId, meta: JsonValue.optional() })),
  assignment: z
    .array(MemberId.nullable())
    .optional()
    .meta({ description: 'owner of each partition 0..partitions-1 by assignPartitions (null: no members)' }),
});
/** LeaderBody is an election's current leader. */
export const LeaderBody = z.object({ value: JsonValue, fence: Fence });
/** EmptyBody is the body of POST routes that need none. */
export const EmptyBody = z.strictObject({});

const BatchSet = z.strictObject({
  op: z.literal('set'),
  key: Key,
  value: JsonValue,
  ifVersion: Version.optional(),
  ttlMs: TtlMs.optional(),
});
const BatchDelete = z.strictObject({ op: z.literal('delete'), key: Key, ifVersion: Version.optional() });
/** BatchBody is an all-or-nothing list of operations. */
export const BatchBody = z.strictObject({
  ops: z
    .array(z.discriminatedUnion('op', [BatchSet, BatchDelete]))
    .min(1)
    .max(100),
});

// ---- response bodies -------------------------------------------------------------------------

/** LockInfoBody is the public view of a lock (never its token). */
export const LockInfoBody = z.object({
  name: Name,
  held: z.boolean(),
  fence: z.int(),
  expiresAt: z.int().optional(),
  owner: z.string().optional(),
});
/** GrantBody answers a successful acquire. */
export const GrantBody = z.object({
  name: Name,
  token: LockToken,
  fence: Fence,
  expiresAt: z.int().meta({ description: 'ms since the epoch, conservative' }),
  ttlMs: TtlMs,
  waitedMs: z.int().min(0).meta({
    description:
      'ms the server waited after receiving the request before the TTL started (monotonic, rounded down); count the TTL from your send time + waitedMs, at the latest from when the answer arrived',
  }),
});
/** ExtendedBody answers a successful extend. */
export const ExtendedBody = z.object({ name: Name, fence: Fence, expiresAt: z.int(), ttlMs: TtlMs });
/** ReleasedBody answers a release. */
export const ReleasedBody = z.object({ released: z.boolean() });
/** PageFields end every listing of names: the next page's cursor, and whether the scan was cut. */
const PageFields = {
  cursor: z.string().optional().meta({ description: 'pass back for the next page' }),
  truncated: z
    .literal(true)
    .optional()
    .meta({ description: 'the scan stopped at the server limit; narrow the prefix' }),
};
/** LocksBody lists held locks. */
export const LocksBody = z.object({
  locks: z.array(LockInfoBody),
  ...PageFields,
});
const PermitHolderBody = z.object({
  count: z.int(),
  fence: Fence,
  expiresAt: z.int(),
  owner: z.string().optional(),
});
/** SemaphoreInfoBody is the public view of a semaphore (never a token); permits is 0 when unused. */
export const SemaphoreInfoBody = z.object({
  name: Name,
  permits: z.int(),
  used: z.int(),
  fence: z.int(),
  holders: z.array(PermitHolderBody).meta({ description: 'in grant order' }),
  waiting: z.int().optional(),
});
/** SemaphoresBody lists semaphores with holders. */
export const SemaphoresBody = z.object({
  semaphores: z.array(SemaphoreInfoBody),
  ...PageFields,
});
/** RwLockInfoBody is the public view of a read-write lock (never a token). */
export const RwLockInfoBody = z.object({
  name: Name,
  mode: z.enum(['free', 'read', 'write']),
  readers: z.int(),
  fence: z.int(),
  holders: z.array(
    z.object({
      mode: z.enum(['read', 'write']),
      fence: Fence,
      expiresAt: z.int(),
      owner: z.string().optional(),
    }),
  ),
  waiting: z.int().optional(),
});
/** RwLocksBody lists read-write locks with holders. */
export const RwLocksBody = z.object({
  rwlocks: z.array(RwLockInfoBody),
  ...PageFields,
});
/** VersionBody carries a dict version. */
export const VersionBody = z.object({ version: Version });
/** ValueBody carries a value. */
export const ValueBody = z.object({ value: JsonValue });
/** IncrResultBody carries the number after an incr and the version of that change. */
export const IncrResultBody = z.object({ value: z.number(), version: Version });
/** PageBody is one page of a dict. */
export const PageBody = z.object({
  entries: z.array(z.object({ key: Key, value: JsonValue, version: Version })),
  cursor: z.string().optional(),
  version: Version,
  history: z.string().optional().meta({ description: 'the history `version` belongs to (watch with it)' }),
});
/** DictInfoBody tells a dict's size and version. */
export const DictInfoBody = z.object({ name: Name, size: z.int(), version: Version });
/** DictsBody lists the dicts that have entries. */
export const DictsBody = z.object({
  dicts: z.array(z.object({ name: Name, size: z.int() })),
  ...PageFields,
});
/** OkBody answers /healthz and /readyz. */
export const OkBody = z.object({ ok: z.literal(true) });
const LeaseCapabilities = z.object({
  fairOrdering: z.boolean(),
  notifiedWaiting: z.boolean(),
  minTtlMs: z.int(),
  listing: z.boolean(),
});
/** CapabilitiesBody tells what the backend behind the server guarantees, and the server's limits. */
export const CapabilitiesBody = z.object({
  locks: LeaseCapabilities,
  dicts: z.object({
    ownershipGuard: z.boolean(),
    fenceIssuedCheck: z.boolean().meta({
      description:
        "whether the server's store itself refuses fences no grant issued; the server refuses them either way",
    }),
    ttlGranularityMs: z.int(),
    historyLimit: z.int().optional(),
  }),
  limits: z.object({ maxWaitMs: z.int(), maxBodyBytes: z.int(), sseKeepAliveMs: z.int() }),
  semaphores: LeaseCapabilities.nullable().meta({
    description: 'of semaphores and read-write locks; null when the backend has none',
  }),
  semaphoresUnsupported: z
    .string()
    .optional()
    .meta({ description: 'why the backend has no semaphores or read-write locks (when it has none)' }),
});
/** ProblemBody is RFC 9457 problem+json, with baton's `code` and the request id. */
export const ProblemBody = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string().optional(),
  })
  .catchall(z.unknown());
