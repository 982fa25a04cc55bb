/**
 * Small DOM helpers for the dashboard. Everything shown comes from the server (names, owners,
 * keys, values), so text goes in as text only: `el` sets textContent and attributes, never HTML.
 *
 * How it fails: `byId` throws when the page lacks an element the script expects (a broken build).
 */

/** Child is what `el` accepts as content. */
export type Child = Node | string | number | undefined;

/** el makes an element with attributes (`data-*`, `class`, …) and text or element children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) {
    if (child === undefined) continue;
    node.append(typeof child === 'number' ? String(child) : child);
  }
  return node;
}

/** byId finds an element the page must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard: #${id} is missing from the page`);
  return node as T;
}

/** timeLeft formats the time until `expiresAt` (ms since the epoch, by this browser's clock). */
export function timeLeft(expiresAt: number, now = Date.now()): string {
  const ms = expiresAt - now;
  if (ms <= 0) return 'expired';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
}

/** countdown is a table cell whose text the page's ticker keeps current (see `tick`). */
export function countdown(expiresAt: number | undefined): HTMLTableCellElement {
  if (expiresAt === undefined) return el('td', { class: 'left' }, '—');
  const cell = el('td', { class: 'left', 'data-expires': String(expiresAt) });
  paint(cell, expiresAt, Date.now());
  return cell;
}

/** tick repaints every countdown on the page. */
export function tick(): void {
  const now = Date.now();
  for (const cell of document.querySelectorAll<HTMLElement>('[data-expires]')) {
    paint(cell, Number(cell.dataset.expires), now);
  }
}

function paint(cell: HTMLElement, expiresAt: number, now: number): void {
  cell.textContent = timeLeft(expiresAt, now);
  cell.classList.toggle('low', expiresAt - now < 5_000);
}

/** clock formats a time of day with milliseconds. */
export function clock(at: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}
