/**
 * Every Lua script of the Redis and Redlock backends, each as one typed definition (scripts.ts
 * says how they are loaded and run): the KEYS and ARGV it is called with, built from a typed
 * input in the order its file's header names them, and its 'ok' reply decoded into a typed
 * answer. No caller builds KEYS/ARGV or reads a reply by position; a script's contract changes
 * here and in its .lua file only.
 *
 * Grouped by what they serve: locks (lock_*.lua, also used by Redlock for extend and release),
 * Redlock's own (redlock_*.lua), the lock index (listing_*.lua, listing.ts), pools
 * (sem_*.lua, semaphores.ts), dicts (dict_*.lua, dicts.ts) and the dict expiry sweep
 * (expiry_*.lua, expiry-sweep.ts).
 */
import { BackendUnavailableError } from '../../errors.js';
import type { PermitHolder } from '../../locks/semaphore-backend.js';
import type { ScriptReply } from './errors.js';
import type { LockKeys } from './keys.js';
import type { IndexEntry } from './listing.js';
import { queueKeys, WAITER_TTL_MS } from './lock-queue.js';
import type { PoolKeys } from './pool-keys.js';
import type { AnyScript, Script, ScriptArg } from './scripts.js';
import type { DictState } from './watch.js';

/** GRACE_MS is how long after its recorded expiry a lock index entry is dropped without being checked (listing.ts). */
export const GRACE_MS = 60_000;

/** scoreFraction is the random part of a lock index score (see index_lib.lua): text such as "0.417". */
export function scoreFraction(): string {
  return (Math.floor(Math.random() * 1000) / 1000).toFixed(3);
}

/** num reads a reply element as a number (integers come as numbers, large ones as text). */
function num(v: ScriptReply[number] | undefined): number {
  return Number(v);
}

/** text reads a reply element that is text, or undefined for nil/false and ''. */
function text(v: ScriptReply[number] | undefined): string | undefined {
  return v === null || v === undefined || v === '' ? undefined : String(v);
}

/** unexpected fails a decode that met a reply its script does not give. */
function unexpected(what: string, reply: ScriptReply): never {
  throw new BackendUnavailableError(`redis ${what}: unexpected script reply ${JSON.stringify(reply)}`);
}

/** flag is ARGV's '1'/'0' for "an owner label is given". */
function ownerArgs(owner: string | undefined): [string, string] {
  return [owner ?? '', owner === undefined ? '0' : '1'];
}

// ---------------------------------------------------------------------------------------------
// Locks (lock_*.lua)

/** LockAttempt is lock_acquire's answer: a grant, or how long until asking again is worth it (-1: no such time). */
export type LockAttempt =
  | { readonly granted: true; readonly fence: number }
  | { readonly granted: false; readonly retryMs: number };

export const LOCK_ACQUIRE: Script<
  {
    readonly name: string;
    readonly keys: LockKeys;
    readonly token: string;
    readonly ttlMs: number;
    readonly owner: string | undefined;
    /** waiter is the caller's queue id, '' for a caller that does not wait. */
    readonly waiter: string;
  },
  LockAttempt
> = {
  name: 'lockAcquire',
  file: 'redis/scripts/lock_acquire.lua',
  call: (i, env) => {
    const q = queueKeys(i.keys);
    return {
      keys: [
        i.keys.holder,
        i.keys.fence,
        q.queue,
        q.alive,
        ...(env.lockIndex === undefined ? [] : [env.lockIndex]),
      ],
      args: [
        i.token,
        i.ttlMs,
        ...ownerArgs(i.owner),
        i.waiter,
        WAITER_TTL_MS,
        i.name,
        scoreFraction(),
        GRACE_MS,
      ],
    };
  },
  decode: (r) => {
    if (r[1] === 'granted') return { granted: true, fence: num(r[2]) };
    if (r[1] === 'held' || r[1] === 'promised') return { granted: false, retryMs: num(r[2]) };
    return unexpected('lockAcquire', r);
  },
  replicated: (a) => a.granted,
};

/** Extended is an extension's answer: the fence recorded with the holder and the TTL set; null when the token does not hold the lock. */
export type Extended = { readonly fence: number; readonly ttlMs: number } | null;

export const LOCK_EXTEND: Script<
  {
    readonly name: string;
    readonly holder: string;
    readonly token: string;
    readonly ttlMs: number | undefined;
  },
  Extended
> = {
  name: 'lockExtend',
  file: 'redis/scripts/lock_extend.lua',
  call: (i, env) => ({
    keys: [i.holder, ...(env.lockIndex === undefined ? [] : [env.lockIndex])],
    args: [i.token, i.ttlMs ?? '', i.name, scoreFraction(), GRACE_MS],
  }),
  decode: (r) => (r[1] === 1 ? { fence: num(r[2]), ttlMs: num(r[3]) } : null),
  replicated: (a) => a !== null,
};

export const LOCK_RELEASE: Script<
  {
    readonly keys: LockKeys;
    readonly token: string;
    /** channel is where the release is published (default: the lock's release channel). */
    readonly channel?: string;
  },
  boolean
> = {
  name: 'lockRelease',
  file: 'redis/scripts/lock_release.lua',
  call: (i) => {
    const q = queueKeys(i.keys);
    return { keys: [i.keys.holder, q.queue, q.alive], args: [i.token, i.channel ?? i.keys.channel] };
  },
  decode: (r) => r[1] === 1,
};

export const LOCK_LEAVE: Script<{ readonly keys: LockKeys; readonly waiter: string }, boolean> = {
  name: 'lockLeave',
  file: 'redis/scripts/lock_leave.lua',
  call: (i) => {
    const q = queueKeys(i.keys);
    return { keys: [i.keys.holder, q.queue, q.alive], args: [i.waiter, i.keys.channel] };
  },
  decode: (r) => r[1] === 1,
};

/** LockView is lock_inspect's answer: the last fence granted and, when held, the holder's public part. */
export interface LockView {
  readonly fence: number;
  readonly holder?: { readonly owner?: string | undefined; readonly expiresAt?: number | undefined };
}

export const LOCK_INSPECT: Script<{ readonly keys: LockKeys }, LockView> = {
  name: 'lockInspect',
  file: 'redis/scripts/lock_inspect.lua',
  call: (i) => ({ keys: [i.keys.holder, i.keys.fence], args: [] }),
  decode: (r) => {
    const [, fence, held, owner, pttl, now] = r;
    if (held !== 1) return { fence: num(fence) };
    return {
      fence: num(fence),
      holder: { owner: text(owner), expiresAt: num(pttl) >= 0 ? num(now) + num(pttl) : undefined },
    };
  },
};

/** IssuedRead is fence_issued's answer (see the script's header). */
export interface IssuedRead {
  readonly issued: number;
  readonly known: boolean;
  readonly added: boolean;
}

export const FENCE_ISSUED: Script<
  {
    readonly counter: string;
    readonly dicts: string;
    readonly dict: string;
    readonly fence: number;
    readonly max: number;
  },
  IssuedRead
> = {
  name: 'fenceIssued',
  file: 'redis/scripts/fence_issued.lua',
  call: (i) => ({ keys: [i.counter, i.dicts], args: [i.dict, i.fence, i.max] }),
  decode: (r) => ({ issued: num(r[1]), known: r[2] === 1, added: r[3] === 1 }),
  // A new record must survive a failover of the scope's master (URL option replicas).
  replicated: (a) => a.added,
};

// ---------------------------------------------------------------------------------------------
// Redlock (redlock_*.lua): one master's part of a quorum operation

/** MasterGrant is one master's answer to an acquire. */
export type MasterGrant =
  | { readonly granted: true; readonly counter: number }
  | { readonly granted: false; readonly pttl: number; readonly holder: string };

export const REDLOCK_ACQUIRE: Script<
  {
    readonly keys: LockKeys;
    readonly token: string;
    readonly ttlMs: number;
    readonly owner: string | undefined;
  },
  MasterGrant
> = {
  name: 'redlockAcquire',
  file: 'redlock/scripts/redlock_acquire.lua',
  call: (i) => ({ keys: [i.keys.holder, i.keys.fence], args: [i.token, i.ttlMs, ...ownerArgs(i.owner)] }),
  decode: (r) => {
    if (r[1] === 'granted') return { granted: true, counter: num(r[2]) };
    if (r[1] === 'held') return { granted: false, pttl: num(r[2]), holder: String(r[3] ?? '') };
    return unexpected('redlockAcquire', r);
  },
};

export const REDLOCK_FENCE: Script<
  { readonly keys: LockKeys; readonly token: string; readonly fence: number },
  boolean
> = {
  name: 'redlockFence',
  file: 'redlock/scripts/redlock_fence.lua',
  call: (i) => ({ keys: [i.keys.holder, i.keys.fence], args: [i.token, String(i.fence)] }),
  decode: (r) => r[1] === 1,
};

/** MasterView is one master's answer to redlock_inspect. */
export interface MasterView {
  readonly counter: number;
  readonly holder?: {
    readonly digest: string;
    readonly fence: number;
    readonly owner?: string | undefined;
    readonly expiresAt?: number | undefined;
  };
}

export const REDLOCK_INSPECT: Script<{ readonly keys: LockKeys }, MasterView> = {
  name: 'redlockInspect',
  file: 'redlock/scripts/redlock_inspect.lua',
  call: (i) => ({ keys: [i.keys.holder, i.keys.fence], args: [] }),
  decode: (r) => {
    const [, counter, held, digest, fence, owner, pttl, now] = r;
    if (held !== 1) return { counter: num(counter) };
    return {
      counter: num(counter),
      holder: {
        digest: String(digest),
        fence: num(fence),
        owner: text(owner),
        expiresAt: num(pttl) >= 0 ? num(now) + num(pttl) : undefined,
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The lock index (listing_*.lua, listing.ts)

export const LISTING_TOUCH: Script<
  { readonly index: string; readonly name: string; readonly ttlMs: number },
  number
> = {
  name: 'listingTouch',
  file: 'redis/scripts/listing_touch.lua',
  call: (i) => ({ keys: [i.index], args: [i.name, i.ttlMs, scoreFraction(), GRACE_MS] }),
  decode: (r) => num(r[1]),
};

export const LISTING_PRUNE: Script<
  { readonly index: string; readonly entries: readonly IndexEntry[] },
  number
> = {
  name: 'listingPrune',
  file: 'redis/scripts/listing_prune.lua',
  call: (i) => ({ keys: [i.index], args: i.entries.flatMap((e) => [e.name, e.score]) }),
  decode: (r) => num(r[1]),
};

// ---------------------------------------------------------------------------------------------
// Pools: semaphores and read-write locks (sem_*.lua, semaphores.ts)

/** PoolAttempt is the answer of sem_acquire or sem_poll. */
export type PoolAttempt =
  | { readonly kind: 'granted'; readonly fence: number; readonly expiresAt: number }
  | { readonly kind: 'queued'; readonly retryMs: number }
  | { readonly kind: 'busy' }
  | { readonly kind: 'held' };

/** PoolRequest is what sem_acquire and sem_poll take. */
export interface PoolRequest {
  readonly keys: PoolKeys;
  readonly token: string;
  readonly permits: number;
  readonly count: number;
  readonly ttlMs: number;
  readonly owner: string | undefined;
  /** queueMs is the queue deadline from now; 0: try once, do not queue (sem_acquire only). */
  readonly queueMs: number;
  /** label names the pool in messages (`semaphore/<name>`). */
  readonly label: string;
}

/** poolCall is KEYS and ARGV of every pool script: the pool's keys, its wake channel, then `args`. */
function poolCall(keys: PoolKeys, args: readonly ScriptArg[]) {
  return { keys: keys.all, args: [keys.channel, ...args] };
}

function poolAttempt(name: string, file: string): Script<PoolRequest, PoolAttempt> {
  return {
    name,
    file,
    call: (i) =>
      poolCall(i.keys, [i.token, i.permits, i.count, i.ttlMs, ...ownerArgs(i.owner), i.queueMs, i.label]),
    decode: (r) => {
      switch (r[1]) {
        case 'granted':
          return { kind: 'granted', fence: num(r[2]), expiresAt: num(r[3]) };
        case 'queued':
          return { kind: 'queued', retryMs: num(r[2]) };
        case 'busy':
          return { kind: 'busy' };
        case 'held':
          return { kind: 'held' };
        default:
          return unexpected(name, r);
      }
    },
  };
}

export const SEM_ACQUIRE = poolAttempt('semAcquire', 'redis/scripts/sem_acquire.lua');
export const SEM_POLL = poolAttempt('semPoll', 'redis/scripts/sem_poll.lua');

export const SEM_LEAVE: Script<{ readonly keys: PoolKeys; readonly token: string }, boolean> = {
  name: 'semLeave',
  file: 'redis/scripts/sem_leave.lua',
  call: (i) => poolCall(i.keys, [i.token]),
  decode: (r) => r[1] === 1,
};

export const SEM_RELEASE: Script<{ readonly keys: PoolKeys; readonly token: string }, boolean> = {
  name: 'semRelease',
  file: 'redis/scripts/sem_release.lua',
  call: (i) => poolCall(i.keys, [i.token]),
  decode: (r) => r[1] === 1,
};

export const SEM_EXTEND: Script<
  { readonly keys: PoolKeys; readonly token: string; readonly ttlMs: number | undefined },
  Extended
> = {
  name: 'semExtend',
  file: 'redis/scripts/sem_extend.lua',
  call: (i) => poolCall(i.keys, [i.token, i.ttlMs ?? '']),
  decode: (r) => (r[1] === 1 ? { fence: num(r[2]), ttlMs: num(r[4]) } : null),
};

/** PoolView is sem_inspect's answer (SemaphoreInfo without the name). */
export interface PoolView {
  readonly permits: number;
  readonly used: number;
  readonly fence: number;
  readonly waiting: number;
  readonly holders: PermitHolder[];
}

export const SEM_INSPECT: Script<{ readonly keys: PoolKeys }, PoolView> = {
  name: 'semInspect',
  file: 'redis/scripts/sem_inspect.lua',
  call: (i) => poolCall(i.keys, []),
  decode: (r) => {
    const holders: PermitHolder[] = [];
    for (let i = 5; i + 3 < r.length; i += 4) {
      const owner = text(r[i + 3]);
      holders.push({
        count: num(r[i]),
        fence: num(r[i + 1]),
        expiresAt: num(r[i + 2]),
        ...(owner !== undefined ? { owner } : {}),
      });
    }
    return { permits: num(r[1]), used: num(r[2]), fence: num(r[3]), waiting: num(r[4]), holders };
  },
};

export const SEM_INDEX_TOUCH: Script<
  { readonly index: string; readonly name: string; readonly ttlMs: number },
  number
> = {
  name: 'semIndexTouch',
  file: 'redis/scripts/sem_index_touch.lua',
  call: (i) => ({ keys: [i.index], args: [i.name, i.ttlMs] }),
  decode: (r) => num(r[1]),
};

export const SEM_INDEX_READ: Script<{ readonly index: string }, string[]> = {
  name: 'semIndexRead',
  file: 'redis/scripts/sem_index_read.lua',
  call: (i) => ({ keys: [i.index], args: [] }),
  decode: (r) => r.slice(1).map(String),
};

// ---------------------------------------------------------------------------------------------
// Dicts (dict_*.lua, dicts.ts)

/**
 * DictTarget is what every dict script but dict_get starts with: KEYS (the dict's six keys, plus
 * the fence scope's counter and the lock's holder key for a fenced write outside a cluster),
 * ARGV[1..5] (`head`: history limit, trim mode, fence scope, fence, token), and the two
 * arguments dict_lib.lua reads last: the fence floor if the dict lost its fence table
 * (FenceCheck.floorIfLost, '' for none) and the purge limit.
 */
export interface DictTarget {
  readonly keys: readonly string[];
  readonly head: readonly ScriptArg[];
  readonly floorIfLost: number | '';
  readonly purgeLimit: number;
}

/** DictOp is one call dict_write or dict_each applies: kind, key, ifVersion ('' for none), TTL ('' for none), value. */
export interface DictOp {
  readonly kind: 'g' | 's' | 'd' | 'i';
  readonly key: string;
  readonly ifVersion: number | '';
  readonly ttlMs: number | '';
  readonly value: string;
}

/** dictCall is KEYS and ARGV of a dict script: the target's, with the script's own arguments before the last two. */
function dictCall(t: DictTarget, args: readonly ScriptArg[]) {
  return { keys: t.keys, args: [...t.head, ...args, t.floorIfLost, t.purgeLimit] };
}

/** opArgs are dict_write's and dict_each's ARGV after the head: the count, then five per op. */
function opArgs(ops: readonly DictOp[]): ScriptArg[] {
  return [ops.length, ...ops.flatMap((o) => [o.kind, o.key, o.ifVersion, o.ttlMs, o.value])];
}

/** dictChange marks the dict scripts whose 'ok' is a change that must reach the replicas. */
const dictChange = () => true;

/** packedOf decodes `{'ok', packed}`: the stored entry, or undefined for ''. */
const packedOf = (r: ScriptReply) => text(r[1]);

export const DICT_GET: Script<{ readonly entries: string; readonly key: string }, string | undefined> = {
  name: 'dictGet',
  file: 'redis/scripts/dict_get.lua',
  call: (i) => ({ keys: [i.entries], args: [i.key] }),
  decode: packedOf,
};

/** Written is a write's answer: the dict's version after it and how many keys changed. */
export interface Written {
  readonly version: number;
  readonly changed: number;
}

export const DICT_WRITE: Script<{ readonly target: DictTarget; readonly ops: readonly DictOp[] }, Written> = {
  name: 'dictWrite',
  file: 'redis/scripts/dict_write.lua',
  call: (i) => dictCall(i.target, opArgs(i.ops)),
  decode: (r) => ({ version: num(r[1]), changed: num(r[2]) }),
  replicated: dictChange,
};

export const DICT_SET_IF_ABSENT: Script<
  {
    readonly target: DictTarget;
    readonly key: string;
    readonly value: string;
    readonly ttlMs: number | undefined;
  },
  { readonly created: boolean; readonly packed: string }
> = {
  name: 'dictSetIfAbsent',
  file: 'redis/scripts/dict_set_if_absent.lua',
  call: (i) => dictCall(i.target, [i.key, i.value, i.ttlMs ?? '']),
  decode: (r) => ({ created: r[1] === 1, packed: String(r[2]) }),
  replicated: dictChange,
};

export const DICT_POP: Script<{ readonly target: DictTarget; readonly key: string }, string | undefined> = {
  name: 'dictPop',
  file: 'redis/scripts/dict_pop.lua',
  call: (i) => dictCall(i.target, [i.key]),
  decode: packedOf,
  replicated: dictChange,
};

export const DICT_INCR: Script<
  { readonly target: DictTarget; readonly key: string; readonly amount: string },
  { readonly version: number; readonly value: number }
> = {
  name: 'dictIncr',
  file: 'redis/scripts/dict_incr.lua',
  call: (i) => dictCall(i.target, [i.key, i.amount]),
  decode: (r) => ({ version: num(r[1]), value: JSON.parse(String(r[2])) as number }),
  replicated: dictChange,
};

export const DICT_EACH: Script<
  { readonly target: DictTarget; readonly calls: readonly DictOp[] },
  ScriptReply
> = {
  name: 'dictEach',
  file: 'redis/scripts/dict_each.lua',
  call: (i) => dictCall(i.target, opArgs(i.calls)),
  decode: (r) => r,
  replicated: dictChange,
};

/** ListedPage is dict_list's answer: the page's keys with their packed entries ('' with keys only). */
export interface ListedPage {
  readonly version: number;
  /** resume is the key to list after next; undefined when there is no more. */
  readonly resume: string | undefined;
  readonly history: string | undefined;
  readonly items: ReadonlyArray<readonly [key: string, packed: string]>;
}

export const DICT_LIST: Script<
  {
    readonly target: DictTarget;
    readonly prefix: string;
    /** min is the ZRANGEBYLEX lower bound (entries.ts lexMin). */
    readonly min: string;
    readonly limit: number;
    readonly keysOnly: boolean;
  },
  ListedPage
> = {
  name: 'dictList',
  file: 'redis/scripts/dict_list.lua',
  call: (i) => dictCall(i.target, [i.prefix, i.min, i.limit, i.keysOnly ? '1' : '0']),
  decode: (r) => {
    const items: Array<readonly [string, string]> = [];
    for (let i = 5; i + 1 < r.length; i += 2) items.push([String(r[i]), String(r[i + 1])]);
    return { version: num(r[1]), resume: r[2] === 1 ? String(r[3]) : undefined, history: text(r[4]), items };
  },
};

export const DICT_STATE: Script<{ readonly target: DictTarget }, DictState> = {
  name: 'dictState',
  file: 'redis/scripts/dict_state.lua',
  call: (i) => dictCall(i.target, []),
  decode: (r) => {
    const optional = (v: ScriptReply[number] | undefined) => (text(v) === undefined ? undefined : num(v));
    return {
      version: num(r[1]),
      size: num(r[2]),
      oldest: optional(r[3]),
      nextExpiry: optional(r[4]),
      now: num(r[5]),
      history: text(r[6]),
    };
  },
};

export const DICT_CLEAR: Script<{ readonly target: DictTarget }, Written> = {
  name: 'dictClear',
  file: 'redis/scripts/dict_clear.lua',
  call: (i) => dictCall(i.target, []),
  decode: (r) => ({ version: num(r[1]), changed: num(r[2]) }),
  replicated: dictChange,
};

// ---------------------------------------------------------------------------------------------
// The dict expiry sweep (expiry_*.lua, expiry-sweep.ts)

export const EXPIRY_NOTE: Script<
  { readonly index: string; readonly dict: string; readonly at: number },
  void
> = {
  name: 'expiryNote',
  file: 'redis/scripts/expiry_note.lua',
  call: (i) => ({ keys: [i.index], args: [i.dict, Math.floor(i.at)] }),
  decode: () => undefined,
};

export const EXPIRY_CLAIM: Script<
  { readonly index: string; readonly claimMs: number; readonly max: number },
  { readonly claim: string; readonly dicts: string[] }
> = {
  name: 'expiryClaim',
  file: 'redis/scripts/expiry_claim.lua',
  call: (i) => ({ keys: [i.index], args: [i.claimMs, i.max] }),
  decode: (r) => ({ claim: String(r[1]), dicts: r.slice(2).map(String) }),
};

export const EXPIRY_SETTLE: Script<
  {
    readonly index: string;
    readonly dict: string;
    readonly claim: string;
    readonly next: number | undefined;
  },
  void
> = {
  name: 'expirySettle',
  file: 'redis/scripts/expiry_settle.lua',
  call: (i) => ({ keys: [i.index], args: [i.dict, i.claim, i.next ?? ''] }),
  decode: () => undefined,
};

/** ALL_SCRIPTS is the registry: every script above, registered on every client (scripts.ts). */
export const ALL_SCRIPTS: readonly AnyScript[] = [
  LOCK_ACQUIRE,
  LOCK_EXTEND,
  LOCK_RELEASE,
  LOCK_LEAVE,
  LOCK_INSPECT,
  FENCE_ISSUED,
  REDLOCK_ACQUIRE,
  REDLOCK_FENCE,
  REDLOCK_INSPECT,
  LISTING_TOUCH,
  LISTING_PRUNE,
  SEM_ACQUIRE,
  SEM_POLL,
  SEM_LEAVE,
  SEM_RELEASE,
  SEM_EXTEND,
  SEM_INSPECT,
  SEM_INDEX_TOUCH,
  SEM_INDEX_READ,
  DICT_GET,
  DICT_WRITE,
  DICT_SET_IF_ABSENT,
  DICT_POP,
  DICT_INCR,
  DICT_EACH,
  DICT_LIST,
  DICT_STATE,
  DICT_CLEAR,
  EXPIRY_NOTE,
  EXPIRY_CLAIM,
  EXPIRY_SETTLE,
];
