/**
 * DictFeed: the live feed of one dict's changes. It reads the dict's current version
 * (`GET /v1/dicts/{dict}/info`), then streams `GET /v1/dicts/{dict}/watch?fromVersion=…` with
 * fetch (EventSource cannot send the bearer token, and the token must not go in the URL), parses
 * the Server-Sent Events (sse.ts) and puts each change at the top of the table, newest first, at
 * most MAX_ROWS. It remembers the version and history of the last change, so after a dropped
 * stream it resumes where it stopped, without gaps (a store restarted meanwhile answers 410, and
 * the feed starts over from the current version).
 *
 * How it fails: never by throwing. The section's `data-state` and status line say what is going
 * on — `live`, or `retrying` with the reason (backend unavailable, stream ended, no answer), with
 * retries after 1 s doubling to 10 s; a compacted history (410 or an `event: reset`) is said in
 * the feed and the watch restarts from the dict's current version; 401 is handed to `onAuth`.
 */
import { authHeaders, type Failure, failureOf, getJson, networkFailure } from './api.js';
import { byId, clock, el } from './dom.js';
import { SseParser } from './sse.js';

/** MAX_ROWS is how many changes the feed keeps on the page. */
const MAX_ROWS = 200;
/** FIRST_RETRY_MS and MAX_RETRY_MS bound the delay before reconnecting. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 10_000;
/** VALUE_CHARS is how much of a value's JSON a row shows. */
const VALUE_CHARS = 300;

type FeedState = 'idle' | 'connecting' | 'live' | 'retrying' | 'error';

/** DictFeed follows one dict at a time. */
export class DictFeed {
  readonly #section = byId('feed-section');
  readonly #status = byId('feed-status');
  readonly #rows = byId('feed');
  readonly #onAuth: (f: Failure) => void;
  #controller: AbortController | undefined;
  #dict: string | undefined;

  /** constructor takes what to do when the server asks for a (valid) token. */
  constructor(onAuth: (f: Failure) => void) {
    this.#onAuth = onAuth;
  }

  /** dict is the dict being followed, if any. */
  get dict(): string | undefined {
    return this.#dict;
  }

  /** watch starts following `dict` (stopping any other) with an empty table. */
  watch(dict: string): void {
    this.stop();
    this.#dict = dict;
    this.#rows.replaceChildren();
    const controller = new AbortController();
    this.#controller = controller;
    void this.#run(dict, controller.signal);
  }

  /** restart follows the same dict again (after a token was entered). */
  restart(): void {
    if (this.#dict !== undefined) this.watch(this.#dict);
  }

  /** stop ends the stream; the rows stay. */
  stop(): void {
    this.#controller?.abort();
    this.#controller = undefined;
    if (this.#dict !== undefined) this.#state('idle', `Stopped following ${this.#dict}.`);
    this.#dict = undefined;
  }

  async #run(dict: string, signal: AbortSignal): Promise<void> {
    const path = `/v1/dicts/${encodeURIComponent(dict)}`;
    let from: number | undefined;
    let history: string | undefined;
    let retryMs = FIRST_RETRY_MS;
    const retry = async (why: string) => {
      this.#state('retrying', `${dict}: ${why} — retrying in ${Math.round(retryMs / 1000)} s.`);
      await sleep(retryMs, signal);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    };
    this.#state('connecting', `Connecting to ${dict}…`);
    while (!signal.aborted) {
      if (from === undefined) {
        const info = await getJson<{ version: number }>(`${path}/info`, signal);
        if (signal.aborted) return;
        if (!info.ok) {
          if (this.#fatal(dict, info)) return;
          await retry(describe(info));
          continue;
        }
        from = info.data.version;
      }
      let res: Response;
      try {
        const h = history === undefined ? '' : `&history=${encodeURIComponent(history)}`;
        res = await fetch(`${path}/watch?fromVersion=${from}${h}`, {
          headers: { Accept: 'text/event-stream', ...authHeaders() },
          cache: 'no-store',
          credentials: 'omit',
          signal,
        });
      } catch (err) {
        if (signal.aborted) return;
        await retry(describe(networkFailure(err)));
        continue;
      }
      if (!res.ok || !res.body) {
        const f = await failureOf(res);
        if (f.status === 410) {
          this.#note(`History up to here is gone (compacted): following ${dict} from its current version.`);
          from = undefined;
          history = undefined;
          continue;
        }
        if (this.#fatal(dict, f)) return;
        await retry(describe(f));
        continue;
      }
      this.#state('live', `Following ${dict} live (changes after version ${from}).`);
      retryMs = FIRST_RETRY_MS;
      let why = 'the stream ended';
      try {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const ev of parser.push(value)) {
            if (ev.event === 'set' || ev.event === 'delete' || ev.event === 'expire') {
              this.#change(ev.event, ev.data);
              // id is <history>:<version>; resuming with the history makes a restarted store a 410.
              const id = ev.id === undefined ? null : /^(?:([\x21-\x7e]+):)?(\d+)$/.exec(ev.id);
              if (id) {
                from = Number(id[2]);
                history = id[1];
              }
            } else if (ev.event === 'reset') {
              this.#note(`History was compacted: following ${dict} from its current version.`);
              from = undefined;
              history = undefined;
            } else if (ev.event === 'problem') {
              why = problemDetail(ev.data);
            }
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        why = `the stream broke (${err instanceof Error ? err.message : String(err)})`;
      }
      if (signal.aborted) return;
      await retry(why);
    }
  }

  /** #fatal handles answers that retrying cannot fix; true when the feed stops. */
  #fatal(dict: string, f: Failure): boolean {
    if (f.status === 401) {
      this.#state('error', `${dict}: a valid bearer token is needed.`);
      this.#onAuth(f);
      return true;
    }
    if (f.status === 400 || f.status === 403 || f.status === 404 || f.status === 501) {
      this.#state('error', `${dict}: ${f.detail}`);
      return true;
    }
    return false;
  }

  #change(type: string, data: string): void {
    let change: { key?: unknown; value?: unknown; version?: unknown };
    try {
      change = JSON.parse(data) as typeof change;
    } catch {
      return;
    }
    const value = type === 'set' ? JSON.stringify(change.value) : '';
    const shown = value.length > VALUE_CHARS ? `${value.slice(0, VALUE_CHARS)}…` : value;
    this.#add(
      el(
        'tr',
        { class: `change-${type}`, 'data-key': String(change.key), 'data-type': type },
        el('td', {}, clock(new Date())),
        el('td', { class: 'num' }, String(change.version)),
        el('td', {}, type),
        el('td', {}, String(change.key)),
        el('td', { class: 'value' }, shown),
      ),
    );
  }

  #note(text: string): void {
    this.#add(
      el('tr', { class: 'change-note' }, el('td', {}, clock(new Date())), el('td', { colspan: '4' }, text)),
    );
  }

  #add(row: HTMLTableRowElement): void {
    this.#rows.prepend(row);
    while (this.#rows.children.length > MAX_ROWS) this.#rows.lastElementChild?.remove();
  }

  #state(state: FeedState, text: string): void {
    this.#section.dataset.state = state;
    this.#status.textContent = text;
  }
}

function describe(f: Failure): string {
  if (f.status === 0) return 'the baton server does not answer';
  if (f.status === 503) return `backend unavailable (${f.detail})`;
  return f.detail;
}

function problemDetail(data: string): string {
  try {
    const p = JSON.parse(data) as { code?: unknown; detail?: unknown };
    if (p.code === 'backend_unavailable') return `backend unavailable (${String(p.detail)})`;
    return typeof p.detail === 'string' ? p.detail : 'the stream ended with an error';
  } catch {
    return 'the stream ended with an error';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
