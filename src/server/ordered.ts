/**
 * KeyedQueue runs tasks one after another per key, in the order they were queued; tasks of
 * different keys run side by side. The server uses it to order the extensions of one lease
 * token (it keeps no other lease state): two extends of one token in flight at once could
 * otherwise be applied by the store in one order and answered in the other (on etcd each moves
 * the key to a new etcd lease).
 *
 * Bounded by the requests in flight: a key's entry is removed as soon as its last task settles,
 * so an idle key costs nothing. A task's failure is its caller's; it does not stop the tasks
 * queued after it.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** run queues `task` behind the tasks already queued under `key` and resolves to its result. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** size is the number of keys with a task queued or running (for tests and metrics). */
  get size(): number {
    return this.#tails.size;
  }
}
