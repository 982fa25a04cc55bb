/**
 * SseParser: Server-Sent Events read from a fetch() body. The browser's EventSource cannot send an
 * Authorization header, and the token must not go in the URL, so the feed streams the watch with
 * fetch and parses the event stream here, as the HTML standard describes it: lines end with LF,
 * CRLF or CR; `:` lines are comments; `data` lines accumulate; a blank line dispatches; `id` and
 * `event` apply to the event being built. Hand-written (about forty lines) because the page has no
 * bundler to bring a parser package to the browser.
 *
 * How it fails: it does not; unknown fields are ignored and a partial event waits for more text.
 */

/** SseEvent is one dispatched event. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** SseParser turns decoded text chunks into events. */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  /** push adds a chunk of text and returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buffer);
      // A trailing CR may be the first half of CRLF: wait for the next chunk to tell.
      if (!m || (m[0] === '\r' && m.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      const event = this.#line(line);
      if (event) out.push(event);
    }
    return out;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const event = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id };
      this.#event = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\u0000')) this.#id = value;
    return undefined;
  }
}
