/**
 * WatchStream: one etcd watch on one key range, on its own gRPC stream, that survives
 * disconnects without gaps. etcd3's WatchManager resumes from the header revision of its last
 * response, which during a catch-up replay is ahead of the events delivered so far; this stream
 * resumes from the revision after the last event it delivered (or the last progress
 * notification, which etcd sends only for watchers that are caught up).
 *
 * etcd never splits the events of one revision across responses (its watch batches end at
 * revision boundaries; fragmenting is off), so a sink sees each revision whole.
 *
 * How it fails: `compacted(rev)` when the next revision wanted is no longer in etcd's history
 * (final); `failed(err)` when etcd cancels the watch for another reason (final). Transport
 * failures are retried for ever with a backoff of 100 ms doubling to 2 s; `close()` ends it.
 */
import { FilterType, type IEvent, type IWatchCreateRequest, type IWatchResponse } from 'etcd3';
import { BackendUnavailableError, type BatonError } from '../../errors.js';
import type { EtcdClient } from './client.js';
import { translateError } from './errors.js';

/** WatchTarget selects what to watch. */
export interface WatchTarget {
  readonly key: Buffer;
  /** rangeEnd watches [key, rangeEnd) instead of the one key. */
  readonly rangeEnd?: Buffer | undefined;
  /** startRevision is the first revision wanted; without it, changes after the watch is created. */
  readonly startRevision?: number | undefined;
  /** deletesOnly drops PUT events at the server. */
  readonly deletesOnly?: boolean | undefined;
}

/** WatchSink receives what a WatchStream sees, in revision order. */
export interface WatchSink {
  /** created is called once, with the revision the watch was first created at. */
  created?(revision: number): void;
  /**
   * recreated is called each time the watch is created again after a break, before its events,
   * with the next revision wanted and etcd's revision now (below it: etcd went back in time).
   */
  recreated?(next: number, revision: number): void;
  /** events is called with the events of one or more whole revisions. */
  events(events: readonly IEvent[]): void;
  /** compacted ends the watch: the revision after `compactRevision - 1` is the oldest still kept. */
  compacted(compactRevision: number): void;
  /** failed ends the watch with an error. */
  failed(err: BatonError): void;
}

type Stream = Awaited<ReturnType<EtcdClient['raw']['watchClient']['watch']>>;

/** WatchStream is one resumable watch. */
export class WatchStream {
  readonly #client: EtcdClient;
  readonly #target: WatchTarget;
  readonly #sink: WatchSink;
  #next: number | undefined;
  #stream: Stream | undefined;
  #timer: NodeJS.Timeout | undefined;
  #backoffMs = 100;
  #created = false;
  #done = false;

  constructor(client: EtcdClient, target: WatchTarget, sink: WatchSink) {
    this.#client = client;
    this.#target = target;
    this.#sink = sink;
    this.#next = target.startRevision;
    void this.#open();
  }

  /** close ends the watch; the sink hears nothing more. Idempotent. */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stream) stop(this.#stream);
    this.#stream = undefined;
  }

  async #open(): Promise<void> {
    if (this.#done) return;
    if (this.#client.closed) {
      this.#finish(() => this.#sink.failed(new BackendUnavailableError('baton client is closed')));
      return;
    }
    let stream: Stream;
    try {
      stream = await this.#client.raw.watchClient.watch();
    } catch {
      this.#retry();
      return;
    }
    if (this.#done) {
      stop(stream);
      return;
    }
    this.#stream = stream;
    const request: IWatchCreateRequest = {
      key: this.#target.key,
      progress_notify: true,
      ...(this.#target.rangeEnd ? { range_end: this.#target.rangeEnd } : {}),
      ...(this.#next !== undefined ? { start_revision: this.#next } : {}),
      ...(this.#target.deletesOnly ? { filters: [FilterType.Noput] } : {}),
    };
    stream.on('data', (res: IWatchResponse) => this.#onResponse(stream, res));
    stream.on('error', () => this.#onBroken(stream));
    stream.on('end', () => this.#onBroken(stream));
    stream.write({ create_request: request });
  }

  #onResponse(stream: Stream, res: IWatchResponse): void {
    if (this.#done || stream !== this.#stream) return;
    if (res.canceled) {
      const compactRevision = Number(res.compact_revision);
      this.#finish(() => {
        if (compactRevision > 0) this.#sink.compacted(compactRevision);
        else this.#sink.failed(translateError(new Error(res.cancel_reason || 'watch canceled'), 'watch'));
      });
      return;
    }
    const headerRevision = Number(res.header.revision);
    if (res.created) {
      this.#backoffMs = 100;
      if (this.#next === undefined) this.#next = headerRevision + 1;
      if (!this.#created) {
        this.#created = true;
        this.#sink.created?.(headerRevision);
      } else {
        this.#sink.recreated?.(this.#next, headerRevision);
      }
      return;
    }
    if (res.events.length === 0) {
      // A progress notification: every revision up to the header is delivered.
      this.#next = Math.max(this.#next ?? 0, headerRevision + 1);
      return;
    }
    const last = res.events[res.events.length - 1]!;
    this.#next = Number(last.kv.mod_revision) + 1;
    this.#sink.events(res.events);
  }

  #onBroken(stream: Stream): void {
    if (this.#done || stream !== this.#stream) return;
    this.#stream = undefined;
    this.#retry();
  }

  #retry(): void {
    if (this.#done) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(2_000, this.#backoffMs * 2);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#open();
    }, delay);
    this.#timer.unref();
  }

  #finish(tell: () => void): void {
    if (this.#done) return;
    this.close();
    tell();
  }
}

/**
 * stop ends a watch stream. etcd keeps a watch stream open after the client half-closes it, so it
 * is cancelled too; ending it first keeps etcd3 from counting the cancellation as a host failure.
 */
function stop(stream: Stream): void {
  stream.on('error', () => undefined); // the cancellation itself arrives as an error
  stream.end();
  stream.cancel();
}
