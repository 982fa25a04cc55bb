/**
 * Scheduler: a min-heap of deadlines behind one timer, so a million TTL'd entries cost one
 * setTimeout, not a million. Times are on the `now()` clock (monotonic ms). The timer is
 * `unref`ed unless `keepAlive` is set (the store sets it while someone waits for a lock, so a
 * process awaiting a lock is not ended under it). `stop()` clears the timer; `start()` re-arms it.
 *
 * A callback that is no longer wanted (a lock released before its TTL, an entry overwritten) is
 * `cancel`led: it stays in the heap, dead, until it reaches the top or until dead callbacks
 * outnumber live ones, when the heap is rebuilt without them. Without that, a lock taken and
 * released 100k times a second with a 30 s TTL would keep 3M dead callbacks (~1 GiB) alive.
 */

/** Timer is one scheduled callback; pass it to `cancel` when it is no longer wanted. */
export interface Timer {
  readonly at: number;
  /** run is undefined once cancelled. */
  run: (() => void) | undefined;
}

/** COMPACT_MIN is the fewest dead callbacks worth a rebuild of the heap. */
const COMPACT_MIN = 1024;

/** now returns monotonic milliseconds aligned with the epoch at process start. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Scheduler runs callbacks at deadlines. */
export class Scheduler {
  #heap: Timer[] = [];
  #dead = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #running = true;
  #keepAlive = false;
  /** pass counts the runDue calls: callbacks that see the same pass run in one synchronous step. */
  pass = 0;

  /** at schedules `run` for time `at` (it may run later, never earlier). */
  at(at: number, run: () => void): Timer {
    const timer: Timer = { at, run };
    const heap = this.#heap;
    heap.push(timer);
    this.#siftUp(heap.length - 1);
    if (at < this.#timerAt) this.#arm();
    return timer;
  }

  /** cancel makes a timer never run (a no-op if it ran or was cancelled already). */
  cancel(timer: Timer | undefined): void {
    if (!timer?.run) return;
    timer.run = undefined;
    if (++this.#dead >= COMPACT_MIN && this.#dead * 2 > this.#heap.length) this.#compact();
  }

  /** size is the number of timers in the heap, live or dead (for tests). */
  get size(): number {
    return this.#heap.length;
  }

  /** runDue runs every callback whose time has come; stores call it before each operation. */
  runDue(): void {
    this.pass++;
    const t = now();
    // this.#heap, not a local: a callback may cancel timers and so rebuild the heap.
    while (this.#heap.length > 0 && this.#heap[0]!.at <= t) {
      const timer = this.#pop();
      const run = timer.run;
      if (run === undefined) {
        this.#dead--;
        continue;
      }
      timer.run = undefined;
      run();
    }
  }

  /** keepAlive makes the timer hold the process open (true) or not (false). */
  set keepAlive(on: boolean) {
    this.#keepAlive = on;
    if (this.#timer) {
      if (on) this.#timer.ref();
      else this.#timer.unref();
    }
  }

  /** stop clears the timer; pending callbacks stay queued (and still run via runDue). */
  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /** start re-arms the timer after stop. */
  start(): void {
    this.#running = true;
    this.#arm();
  }

  #arm(): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const next = this.#heap[0];
    if (!next) return;
    this.#timerAt = next.at;
    const delay = Math.min(Math.max(0, Math.ceil(next.at - now())), 2 ** 31 - 1);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.runDue();
      this.#arm();
    }, delay);
    if (!this.#keepAlive) this.#timer.unref();
  }

  #pop(): Timer {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  #siftUp(from: number): void {
    const heap = this.#heap;
    const at = heap[from]!.at;
    let i = from;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= at) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #siftDown(from: number): void {
    const heap = this.#heap;
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
      if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }

  /** #compact rebuilds the heap from its live timers (Floyd's heapify, O(n)). */
  #compact(): void {
    this.#heap = this.#heap.filter((timer) => timer.run !== undefined);
    this.#dead = 0;
    for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }
}
