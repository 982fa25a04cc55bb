/**
 * WatchBuffer: the bounded queue between a backend that pushes a watch's changes (etcd's watch
 * stream) and the consumer that pulls them. It counts the bytes of what it holds (keys and
 * encoded values, plus a small overhead per change) and refuses a batch that would take it past
 * its limit, so a consumer that stops reading costs at most `limitBytes` (one batch more when
 * that one batch alone is larger, since a batch is never split).
 *
 * How it fails: `push` returns false when the limit would be passed; its caller then stops
 * pushing, lets the consumer drain what is queued, and ends the watch with WatchOverflowError
 * (`overflow`), so each overflowed watch still delivers up to a buffer's worth before it ends and
 * a consumer resuming from `lastVersion` always progresses. The buffer never throws.
 */
import { WatchOverflowError } from '../errors.js';
import type { ChangeBatch } from './backend.js';

/** DEFAULT_WATCH_BUFFER_BYTES is a watch's buffer bound when none is configured: 4 MiB. */
export const DEFAULT_WATCH_BUFFER_BYTES = 4 * 1024 * 1024;

/** CHANGE_OVERHEAD_BYTES is what one change is counted as beyond its key and value. */
const CHANGE_OVERHEAD_BYTES = 64;

/** WatchBuffer is one watch's bounded queue of change batches. */
export class WatchBuffer {
  readonly limitBytes: number;
  readonly #queue: Array<{ batch: ChangeBatch; bytes: number }> = [];
  #head = 0;
  #bytes = 0;
  /** #last is the version of the last batch handed out by `shift` (or the version watched from). */
  #last: number;

  /** constructor takes the bound and the version the watch starts after. */
  constructor(limitBytes: number, startAfter: number) {
    this.limitBytes = limitBytes;
    this.#last = startAfter;
  }

  /** bytes is what the queued batches are counted as now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** lastVersion is the version of the last batch the consumer took: a watch resumed from it misses nothing. */
  get lastVersion(): number {
    return this.#last;
  }

  /** push queues `batch`; false (nothing queued) when that would pass the limit of a non-empty buffer. */
  push(batch: ChangeBatch): boolean {
    const bytes = sizeOf(batch);
    if (this.#head < this.#queue.length && this.#bytes + bytes > this.limitBytes) return false;
    this.#queue.push({ batch, bytes });
    this.#bytes += bytes;
    return true;
  }

  /** shift takes the oldest batch, or undefined when empty. */
  shift(): ChangeBatch | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const item = this.#queue[this.#head]!;
    this.#queue[this.#head] = undefined as never;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.#bytes -= item.bytes;
    this.#last = item.batch.version;
    return item.batch;
  }

  /** overflow is the error that ends an overflowed watch once its queue is drained (lastVersion = the last batch taken). */
  overflow(): WatchOverflowError {
    return new WatchOverflowError(this.#last, this.limitBytes);
  }
}

/** sizeOf counts a batch: UTF-16 lengths of keys and values (close to their UTF-8 bytes for JSON) plus overhead. */
function sizeOf(batch: ChangeBatch): number {
  let n = 0;
  for (const c of batch.changes) n += CHANGE_OVERHEAD_BYTES + c.key.length + (c.value?.length ?? 0);
  return n;
}
