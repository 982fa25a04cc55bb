/**
 * watchDict: a dict's changes as ChangeBatches, one per etcd revision, from an etcd watch on the
 * dict's whole key range starting at `fromVersion + 1` (or, without it, after the current
 * revision when iteration starts).
 *
 * Deletes versus expiries: every mutation baton makes rewrites the dict's version marker in the
 * same transaction, so a revision that deletes entries without touching the marker was not made
 * by baton's writes: it is a lease expiry (etcd revokes an expired lease in a revision of its
 * own) and is reported as 'expire'. Deleting entry keys by hand (etcdctl) also reads as 'expire'.
 *
 * etcd pushes changes as fast as it has them; they wait for the consumer in a WatchBuffer bounded
 * by `client.watchBufferBytes`. A consumer that falls further behind than that ends the watch:
 * etcd's stream is closed at once, the consumer still gets what is queued, then the error.
 *
 * How it fails: HistoryCompactedError when etcd has compacted the revisions asked for (list
 * again and watch from the page's version); WatchOverflowError when the consumer fell more than
 * the buffer behind (watch again from its `lastVersion`); BackendUnavailableError when etcd cancels the watch
 * or the client closes. Disconnects are resumed without gaps (watch-stream.ts). Ends normally
 * when `request.signal` aborts.
 */
import type { IEvent, IKeyValue } from 'etcd3';
import { type BatonError, HistoryCompactedError } from '../../errors.js';
import type { ChangeBatch, StoredChange, WatchRequest } from '../../shared-state/backend.js';
import { WatchBuffer } from '../../shared-state/watch-buffer.js';
import type { EtcdClient } from './client.js';
import { translateError } from './errors.js';
import { prefixEnd } from './keys.js';
import { decodeStored } from './stored.js';
import { WatchStream } from './watch-stream.js';

/** watchDict yields the change batches of `dict` (see the file comment). */
export async function* watchDict(
  client: EtcdClient,
  dict: string,
  request: WatchRequest,
): AsyncGenerator<ChangeBatch> {
  const keys = client.keys;
  const signal = request.signal;
  if (signal?.aborted) return;
  const dir = keys.dictDir(dict);
  const entryDir = keys.entryDir(dict);
  const marker = keys.versionKey(dict);
  const wanted = Buffer.concat([entryDir, Buffer.from(request.prefix ?? '', 'utf8')]);
  const first = await firstRevision(client, dict, request.fromVersion);
  const start = first.revision;
  if (request.history !== undefined && request.history !== first.history)
    throw new HistoryCompactedError(request.fromVersion ?? start - 1, undefined);
  let history = first.history;

  const queue = new WatchBuffer(client.watchBufferBytes, start - 1);
  let failure: BatonError | undefined;
  let overflowed = false;
  let verifying: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stream = new WatchStream(
    client,
    { key: dir, rangeEnd: prefixEnd(dir), startRevision: start },
    {
      events(events) {
        for (const batch of toBatches(events, marker, entryDir, wanted)) {
          if (overflowed || failure || queue.push(batch)) continue;
          overflowed = true; // what is queued is still delivered, then WatchOverflowError
          stream.close();
        }
        notify();
      },
      recreated(next, revision) {
        // Resumed after a break: the etcd answering may be a wiped or restored one.
        verifying = (async () => {
          const now =
            next - 1 > revision ? undefined : (await firstRevision(client, dict, undefined)).history;
          if (history === undefined && now !== undefined)
            history = now; // first registered meanwhile
          else if (now === undefined || now !== history)
            failure ??= new HistoryCompactedError(next - 1, undefined);
        })().catch((err: unknown) => {
          failure ??= translateError(err, 'watch');
        });
      },
      compacted(compactRevision) {
        failure = new HistoryCompactedError(request.fromVersion ?? start - 1, compactRevision);
        notify();
      },
      failed(err) {
        failure = err;
        notify();
      },
    },
  );
  signal?.addEventListener('abort', notify, { once: true });
  try {
    for (;;) {
      if (verifying) {
        await verifying;
        verifying = undefined;
        if (failure) throw failure;
      }
      const next = queue.shift();
      if (next) {
        // A dict never written has no history id yet: its first write registers one.
        history ??= (await firstRevision(client, dict, undefined)).history;
        yield { ...next, history };
        continue;
      }
      if (failure) throw failure;
      if (overflowed) throw queue.overflow();
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener('abort', notify);
    stream.close();
  }
}

/**
 * firstRevision is the first revision to watch from. Without `fromVersion`: after the current
 * revision. With it: after `fromVersion`, but never before the dict's first write (the create
 * revision of its registration) — there is nothing of the dict before that, so a watch from 0
 * on a dict created after etcd compacted its history does not fail.
 */
async function firstRevision(
  client: EtcdClient,
  dict: string,
  fromVersion: number | undefined,
): Promise<{ revision: number; history: string | undefined }> {
  const res = await client.range('dict watch', { key: client.keys.dictNameKey(dict) });
  const now = Number(res.header.revision);
  const registered = res.kvs[0];
  const history = historyOf(registered);
  if (fromVersion === undefined) return { revision: now + 1, history };
  // A revision etcd has not reached is from another history (a wiped or restored etcd).
  if (fromVersion > now) throw new HistoryCompactedError(fromVersion, undefined);
  const revision = Math.max(fromVersion + 1, registered ? Number(registered.create_revision) : now + 1);
  return { revision, history };
}

/**
 * historyOf is a dict's history id: the random value of its registration key, written with its
 * first mutation (`c<create revision>` for a dict registered before ids existed; undefined when
 * never written).
 */
export function historyOf(registration: IKeyValue | undefined): string | undefined {
  if (!registration) return undefined;
  const value = registration.value.toString('utf8');
  return value === '' ? `c${registration.create_revision}` : `e${value}`;
}

/** toBatches groups events by revision into change batches of the wanted entries. */
function toBatches(
  events: readonly IEvent[],
  marker: Buffer,
  entryDir: Buffer,
  wanted: Buffer,
): ChangeBatch[] {
  const batches: ChangeBatch[] = [];
  let i = 0;
  while (i < events.length) {
    const version = Number(events[i]!.kv.mod_revision);
    let j = i;
    while (j < events.length && Number(events[j]!.kv.mod_revision) === version) j++;
    const group = events.slice(i, j);
    i = j;
    const byBaton = group.some((e) => isPut(e) && e.kv.key.equals(marker));
    const changes: StoredChange[] = [];
    for (const e of group) {
      const key = e.kv.key;
      if (key.length < wanted.length || !key.subarray(0, wanted.length).equals(wanted)) continue;
      const name = key.subarray(entryDir.length).toString('utf8');
      if (isPut(e)) changes.push({ type: 'set', key: name, value: decodeStored(e.kv).value });
      else changes.push({ type: byBaton ? 'delete' : 'expire', key: name });
    }
    if (changes.length > 0) batches.push({ version, changes });
  }
  return batches;
}

/** isPut tells a PUT event (etcd3 types the event type as 'Put', the wire gives 'PUT'). */
function isPut(e: IEvent): boolean {
  return String(e.type).toUpperCase() === 'PUT';
}
