/**
 * Scheduler: a min-heap of deadlines behind one timer, so a million TTL'd entries cost one
 * setTimeout, not a million. Times are on the `now()` clock (monotonic ms). The timer is
 * `unref`ed unless `keepAlive` is set (the store sets it while someone waits for a lock, so a
 * process awaiting a lock is not ended under it). `stop()` clears the timer; `start()` re-arms it.
 */

/** Due is one scheduled callback. */
interface Due {
  at: number;
  run: () => void;
}

/** now returns monotonic milliseconds aligned with the epoch at process start. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Scheduler runs callbacks at deadlines. */
export class Scheduler {
  readonly #heap: Due[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #running = true;
  #keepAlive = false;

  /** at schedules `run` for time `at` (it may run later, never earlier). */
  at(at: number, run: () => void): void {
    const heap = this.#heap;
    heap.push({ at, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= at) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
    if (at < this.#timerAt) this.#arm();
  }

  /** runDue runs every callback whose time has come; stores call it before each operation. */
  runDue(): void {
    const heap = this.#heap;
    const t = now();
    while (heap.length > 0 && heap[0]!.at <= t) this.#pop().run();
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

  #pop(): Due {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
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
    return top;
  }
}
