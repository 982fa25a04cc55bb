/**
 * The baton dashboard, served by `baton serve` at `/`: held locks with a live countdown,
 * semaphores, read-write locks, dicts with their sizes, and a live feed of one chosen dict's
 * changes. Plain TypeScript compiled to ES modules (no framework, no bundler), so the page is a
 * handful of small static files under a strict Content-Security-Policy (scripts from this origin
 * only, no inline code).
 *
 * Every POLL_MS it reads `/readyz` and the four listings in parallel (one round at a time, paused
 * while the tab is hidden). When the backend is down it shows a banner, greys out the last data it
 * read, and keeps asking every DOWN_POLL_MS until the backend answers again. When the server asks
 * for a bearer token (401) it shows a password field; the token goes to sessionStorage only and
 * into the Authorization header of requests to this origin, never into the page.
 *
 * How it fails: never by throwing; every failed request becomes a note, a banner or the token form.
 */
import { type Answer, clearToken, type Failure, getJson, setToken, token } from './api.js';
import { byId, clock, tick } from './dom.js';
import { DictFeed } from './feed.js';
import {
  type DictView,
  dictRow,
  type ElectionView,
  electionRow,
  type GroupView,
  groupRow,
  type LockView,
  lockRow,
  type RwLockView,
  rwlockRow,
  Section,
  type SemaphoreView,
  semaphoreRow,
} from './sections.js';

/**
 * POLL_MS is the time from the start of one round of reads to the start of the next while the
 * backend answers, so a new lock shows within about POLL_MS plus one round trip.
 */
const POLL_MS = 400;
/** MIN_GAP_MS keeps a pause between rounds when a round itself takes longer than POLL_MS. */
const MIN_GAP_MS = 100;
/** DOWN_POLL_MS is the interval while the backend or the server does not answer. */
const DOWN_POLL_MS = 2_000;
/** TICK_MS is how often countdowns are repainted. */
const TICK_MS = 100;

const banner = byId('banner');
const authForm = byId<HTMLFormElement>('auth');
const authMessage = byId('auth-message');
const tokenInput = byId<HTMLInputElement>('token');
const forget = byId<HTMLButtonElement>('forget');
const updated = byId('updated');
const watchForm = byId<HTMLFormElement>('watch-form');
const watchName = byId<HTMLInputElement>('watch-name');

const feed = new DictFeed((f) => askForToken(f));
const name = { label: 'name' };
const fence = { label: 'fence', num: true };
const holders = { label: 'holders' };
const waiting = { label: 'waiting', num: true };
const nextExpiry = { label: 'next expiry' };
const locks = new Section<LockView>({
  id: 'locks',
  title: 'Locks',
  columns: [name, { label: 'owner' }, fence, { label: 'time left' }],
  row: lockRow,
  empty: 'No lock is held.',
});
const semaphores = new Section<SemaphoreView>({
  id: 'semaphores',
  title: 'Semaphores',
  columns: [name, { label: 'used / permits', num: true }, fence, holders, waiting, nextExpiry],
  row: semaphoreRow,
  empty: 'No semaphore has holders.',
});
const rwlocks = new Section<RwLockView>({
  id: 'rwlocks',
  title: 'Read-write locks',
  columns: [name, { label: 'mode' }, { label: 'readers', num: true }, fence, holders, waiting, nextExpiry],
  row: rwlockRow,
  empty: 'No read-write lock has holders.',
});
const dicts = new Section<DictView>({
  id: 'dicts',
  title: 'Dicts',
  columns: [name, { label: 'keys', num: true }, { label: '' }],
  row: (d) => dictRow(d, feed.dict),
  empty: 'No dict has entries.',
});
const groups = new Section<GroupView>({
  id: 'groups',
  title: 'Groups',
  columns: [{ label: 'group' }, { label: 'members' }, { label: 'held partitions: holder (fence)' }],
  row: groupRow,
  empty: 'No group has members.',
});
const elections = new Section<ElectionView>({
  id: 'elections',
  title: 'Elections',
  columns: [{ label: 'election' }, { label: "leader's value" }, fence],
  row: electionRow,
  empty: 'No election has a leader.',
});
// The listings go before the live feed, in this order.
byId('feed-section').before(...[locks, semaphores, rwlocks, dicts, groups, elections].map((s) => s.element));

/** GROUP_DICT_PREFIX names the dicts that hold group members; MAX_GROUPS bounds the groups read per round. */
const GROUP_DICT_PREFIX = '_baton.group:';
const PARTITION_LOCK_PREFIX = '_baton.partition:';
const MAX_GROUPS = 20;

let needToken = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let polling = false;

byId('server').textContent = location.host;
forget.hidden = token() === undefined;

/** poll runs one round unless one is already running. */
async function poll(): Promise<void> {
  timer = undefined;
  if (polling) return; // the round in flight schedules the next one
  polling = true;
  try {
    await round();
  } finally {
    polling = false;
  }
}

/** round reads and shows everything once, then schedules the next round. */
async function round(): Promise<void> {
  const started = performance.now();
  const [ready, l, s, r, d, g, e] = await Promise.all([
    getJson<unknown>('/readyz'),
    getJson<{ locks: LockView[] }>('/v1/locks'),
    getJson<{ semaphores: SemaphoreView[] }>('/v1/semaphores'),
    getJson<{ rwlocks: RwLockView[] }>('/v1/rwlocks'),
    getJson<{ dicts: DictView[] }>('/v1/dicts'),
    readGroups(),
    getJson<{ entries: Array<{ key: string; value: { value: unknown; fence: number } }> }>(
      '/v1/dicts/_baton.elections?limit=100',
    ),
  ]);
  const up = showReadiness(ready);
  const answers = [l, s, r, d, g, e];
  const unauthorized = answers.find((a): a is Failure => !a.ok && a.status === 401);
  if (unauthorized) askForToken(unauthorized);
  show(locks, l, (x) => x.locks);
  show(semaphores, s, (x) => x.semaphores);
  show(rwlocks, r, (x) => x.rwlocks);
  show(dicts, d, (x) => x.dicts);
  show(groups, g, (x) => x.map((group) => withPartitions(group, l.ok ? l.data.locks : [])));
  show(elections, e, (x) =>
    x.entries.map((en) => ({ name: en.key, value: en.value.value, fence: en.value.fence })),
  );
  if (answers.some((a) => a.ok)) updated.textContent = `updated ${clock(new Date())}`;
  const elapsed = performance.now() - started;
  if (!document.hidden && !needToken) schedule(Math.max(MIN_GAP_MS, (up ? POLL_MS : DOWN_POLL_MS) - elapsed));
}

/** readGroups lists the group dicts (at most MAX_GROUPS) and reads each one's members. */
async function readGroups(): Promise<Answer<GroupView[]>> {
  const listed = await getJson<{ dicts: DictView[] }>(
    `/v1/dicts?prefix=${encodeURIComponent(GROUP_DICT_PREFIX)}&limit=${MAX_GROUPS}`,
  );
  if (!listed.ok) return listed;
  const names = listed.data.dicts.map((x) => x.name.slice(GROUP_DICT_PREFIX.length));
  const answers = await Promise.all(
    names.map((n) =>
      getJson<{ members: Array<{ id: string }> }>(`/v1/groups/${encodeURIComponent(n)}/members`),
    ),
  );
  const failed = answers.find((a): a is Failure => !a.ok);
  if (failed) return failed;
  return {
    ok: true,
    data: names.map((name, i) => {
      const a = answers[i];
      return { name, members: a?.ok ? a.data.members : [], partitions: [] };
    }),
  };
}

/** withPartitions adds the group's held partition locks, from the lock listing of the same round. */
function withPartitions(group: GroupView, held: readonly LockView[]): GroupView {
  const prefix = `${PARTITION_LOCK_PREFIX}${group.name}:`;
  const partitions = held
    .filter((x) => x.name.startsWith(prefix) && /^\d+$/.test(x.name.slice(prefix.length)))
    .map((x) => ({ partition: Number(x.name.slice(prefix.length)), owner: x.owner, fence: x.fence }))
    .sort((a, b) => a.partition - b.partition);
  return { ...group, partitions };
}

function schedule(ms: number): void {
  if (timer === undefined) timer = setTimeout(() => void poll(), ms);
}

function show<T, I>(section: Section<I>, answer: Answer<T>, items: (data: T) => unknown): void {
  if (answer.ok) section.render(items(answer.data));
  else section.fail(answer);
}

/** showReadiness shows or hides the banner; true when the backend answers. */
function showReadiness(ready: Answer<unknown>): boolean {
  if (ready.ok) {
    banner.hidden = true;
    banner.textContent = '';
    delete banner.dataset.state;
    return true;
  }
  banner.hidden = false;
  const again = `Retrying every ${DOWN_POLL_MS / 1000} s; the data below is the last that could be read.`;
  if (ready.status === 0) {
    banner.dataset.state = 'server-down';
    banner.textContent = `Cannot reach the baton server. ${again}`;
  } else {
    banner.dataset.state = 'backend-down';
    banner.textContent = `Backend unavailable: ${ready.detail}. ${again}`;
  }
  return false;
}

/** askForToken shows the token form (once) and stops polling until a token is given. */
function askForToken(f: Failure): void {
  if (needToken) return;
  needToken = true;
  if (token() !== undefined) {
    clearToken();
    authMessage.textContent = `The server refused the token (${f.detail}). Enter another one.`;
  }
  forget.hidden = true;
  authForm.hidden = false;
  tokenInput.focus();
}

authForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = tokenInput.value.trim();
  tokenInput.value = '';
  if (value === '') return;
  setToken(value);
  needToken = false;
  authForm.hidden = true;
  forget.hidden = false;
  feed.restart();
  schedule(0);
});

forget.addEventListener('click', () => {
  clearToken();
  feed.stop();
  forget.hidden = true;
  schedule(0);
});

watchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = watchName.value.trim();
  if (name !== '') feed.watch(name);
});

byId('watch-stop').addEventListener('click', () => feed.stop());

byId('dicts').addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLElement>('button[data-watch]');
  const name = button?.dataset.watch;
  if (name === undefined) return;
  watchName.value = name;
  feed.watch(name);
  for (const row of byId('dicts').querySelectorAll<HTMLElement>('tr[data-name]')) {
    row.classList.toggle('selected', row.dataset.name === name);
  }
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !needToken) schedule(0);
});

setInterval(tick, TICK_MS);
void poll();
