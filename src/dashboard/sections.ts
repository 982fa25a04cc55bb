/**
 * The dashboard's listings — held locks, semaphores, read-write locks, dicts, groups, elections —
 * each a Section: a titled table with its column heads, a count and a note line, all built here
 * from a SectionSpec (the page holds only where they go). `render` replaces the rows with fresh data;
 * `fail` says why there is none: "not supported by this backend" for 404/501, "backend
 * unavailable" for 503 or no answer (the last rows stay, greyed, with their time), the server's
 * detail otherwise.
 *
 * How it fails: it does not; an unexpected body shape shows as an error note.
 */
import type { Failure } from './api.js';
import { clock, countdown, el } from './dom.js';

/** LockView is a held lock as GET /v1/locks lists it (never a token). */
export interface LockView {
  readonly name: string;
  readonly fence: number;
  readonly expiresAt?: number;
  readonly owner?: string;
}

/** SemaphoreView is a semaphore as GET /v1/semaphores lists it. */
export interface SemaphoreView {
  readonly name: string;
  readonly permits: number;
  readonly used: number;
  readonly fence: number;
  readonly holders: ReadonlyArray<{ count: number; fence: number; expiresAt: number; owner?: string }>;
  readonly waiting?: number;
}

/** RwLockView is a read-write lock as GET /v1/rwlocks lists it. */
export interface RwLockView {
  readonly name: string;
  readonly mode: 'free' | 'read' | 'write';
  readonly readers: number;
  readonly fence: number;
  readonly holders: ReadonlyArray<{ mode: string; fence: number; expiresAt: number; owner?: string }>;
  readonly waiting?: number;
}

/** DictView is a dict as GET /v1/dicts lists it. */
export interface DictView {
  readonly name: string;
  readonly size: number;
}

/** Column is a column head; `num` right-aligns the column (class `num`). */
export interface Column {
  readonly label: string;
  readonly num?: boolean;
}

/** SectionSpec is one listing: its id (of the elements below), title, columns, row renderer and empty text. */
export interface SectionSpec<T> {
  readonly id: string;
  readonly title: string;
  readonly columns: readonly Column[];
  readonly row: (item: T) => HTMLTableRowElement;
  readonly empty: string;
}

/**
 * Section is one listing on the page: `element` is `<section id="<id>-section">` with its title
 * `<id>-title`, count `<id>-count`, note `<id>-note` and table body `<id>`; the caller places it.
 */
export class Section<T> {
  readonly element: HTMLElement;
  readonly #body: HTMLElement;
  readonly #count: HTMLElement;
  readonly #note: HTMLElement;
  readonly #row: (item: T) => HTMLTableRowElement;
  readonly #empty: string;
  #shownAt: Date | undefined;

  constructor({ id, title, columns, row, empty }: SectionSpec<T>) {
    this.#body = el('tbody', { id });
    this.#count = el('span', { class: 'count', id: `${id}-count` });
    this.#note = el('p', { class: 'note', id: `${id}-note`, hidden: '' });
    const heads = columns.map((c) => el('th', { class: c.num ? 'num' : undefined }, c.label));
    this.element = el(
      'section',
      { id: `${id}-section`, 'aria-labelledby': `${id}-title` },
      el('h2', { id: `${id}-title` }, `${title} `, this.#count),
      this.#note,
      el('table', {}, el('thead', {}, el('tr', {}, ...heads)), this.#body),
    );
    this.#row = row;
    this.#empty = empty;
  }

  /** render shows `items` (or an error note when the body is not the expected list). */
  render(items: unknown): void {
    if (!Array.isArray(items)) {
      this.fail({
        ok: false,
        status: 200,
        code: 'bad_body',
        detail: 'the server answered an unexpected body',
      });
      return;
    }
    const columns = this.element.querySelectorAll('thead th').length;
    const rows = items.map((item) => this.#row(item as T));
    if (rows.length === 0)
      rows.push(el('tr', { class: 'empty' }, el('td', { colspan: String(columns) }, this.#empty)));
    this.#body.replaceChildren(...rows);
    this.#count.textContent = `(${items.length})`;
    this.#setNote(undefined, '');
    this.element.classList.remove('stale');
    this.element.dataset.state = 'ok';
    this.#shownAt = new Date();
  }

  /** fail shows why the listing could not be read (see the module comment). */
  fail(f: Failure): void {
    if (f.status === 404 || f.status === 501) {
      this.#body.replaceChildren();
      this.#count.textContent = '';
      this.#setNote(
        'unsupported',
        f.status === 501
          ? `Not supported by this backend: ${f.detail}`
          : 'Not supported by this backend (or this server version).',
      );
      this.element.dataset.state = 'unsupported';
      return;
    }
    const down = f.status === 503 || f.status === 0;
    if (down) {
      this.element.classList.add('stale');
      const since = this.#shownAt ? ` Showing what was read at ${clock(this.#shownAt)}.` : '';
      this.#setNote('error', `Backend unavailable.${since}`);
      this.element.dataset.state = 'down';
      return;
    }
    this.#body.replaceChildren();
    this.#count.textContent = '';
    const what =
      f.status === 401
        ? 'A valid bearer token is needed.'
        : f.status === 403
          ? `Not allowed: ${f.detail}`
          : f.detail;
    this.#setNote('error', what);
    this.element.dataset.state = 'error';
  }

  #setNote(kind: string | undefined, text: string): void {
    this.#note.hidden = kind === undefined;
    this.#note.className = `note${kind ? ` ${kind}` : ''}`;
    this.#note.textContent = text;
  }
}

/** nextExpiry is the earliest expiry among holders. */
function nextExpiry(holders: ReadonlyArray<{ expiresAt: number }>): number | undefined {
  return holders.length === 0 ? undefined : Math.min(...holders.map((h) => h.expiresAt));
}

/** owners lists the holders' labels (those that gave one). */
function owners(holders: ReadonlyArray<{ owner?: string }>): string {
  const named = holders.flatMap((h) => (h.owner === undefined ? [] : [h.owner]));
  return `${holders.length}${named.length > 0 ? ` (${named.join(', ')})` : ''}`;
}

/** lockRow renders a held lock. */
export function lockRow(l: LockView): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-name': l.name },
    el('td', {}, l.name),
    el('td', {}, l.owner ?? '—'),
    el('td', { class: 'num' }, l.fence),
    countdown(l.expiresAt),
  );
}

/** semaphoreRow renders a semaphore. */
export function semaphoreRow(s: SemaphoreView): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-name': s.name },
    el('td', {}, s.name),
    el('td', { class: 'num' }, `${s.used} / ${s.permits}`),
    el('td', { class: 'num' }, s.fence),
    el('td', {}, owners(s.holders)),
    el('td', { class: 'num' }, s.waiting ?? '—'),
    countdown(nextExpiry(s.holders)),
  );
}

/** rwlockRow renders a read-write lock. */
export function rwlockRow(r: RwLockView): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-name': r.name },
    el('td', {}, r.name),
    el('td', {}, r.mode),
    el('td', { class: 'num' }, r.readers),
    el('td', { class: 'num' }, r.fence),
    el('td', {}, owners(r.holders)),
    el('td', { class: 'num' }, r.waiting ?? '—'),
    countdown(nextExpiry(r.holders)),
  );
}

/** dictRow renders a dict with a button that follows its changes. */
export function dictRow(d: DictView, selected: string | undefined): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-name': d.name, class: d.name === selected ? 'selected' : undefined },
    el('td', {}, d.name),
    el('td', { class: 'num' }, d.size),
    el('td', {}, el('button', { type: 'button', 'data-watch': d.name }, 'Watch')),
  );
}

/** GroupView is a group: its members (GET /v1/groups/{g}/members) and its held partition locks. */
export interface GroupView {
  readonly name: string;
  readonly members: ReadonlyArray<{ id: string }>;
  readonly partitions: ReadonlyArray<{ partition: number; owner?: string; fence: number }>;
}

/** ElectionView is an election's leader, an entry of the dict `_baton.elections`. */
export interface ElectionView {
  readonly name: string;
  readonly value: unknown;
  readonly fence: number;
}

/** groupRow renders a group: member ids, and each held partition's holder label and fence. */
export function groupRow(g: GroupView): HTMLTableRowElement {
  const held = g.partitions.map((p) => `${p.partition}: ${p.owner ?? '—'} (fence ${p.fence})`);
  return el(
    'tr',
    { 'data-name': g.name },
    el('td', {}, g.name),
    el('td', {}, g.members.map((m) => m.id).join(', ') || '—'),
    el('td', {}, held.join('; ') || '—'),
  );
}

/** electionRow renders an election's leader: its value (JSON) and fence. */
export function electionRow(e: ElectionView): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-name': e.name },
    el('td', {}, e.name),
    el('td', {}, JSON.stringify(e.value)),
    el('td', { class: 'num' }, e.fence),
  );
}
