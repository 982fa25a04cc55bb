/**
 * The memory backend (`memory://`, the default): locks and dicts held in this process.
 * `memory://` is the process-wide default store; `memory://name` a separate named store.
 * Query option: `?history=N` sets how many versions of watch history each dict keeps (default
 * 10 000; applied when the store is created, by the first connect that names it).
 *
 * Guarantees: linearizable within one process; nothing survives the process. For several
 * processes, run `baton serve` on this backend and connect to it with `http://`.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { BackendOptions, OpenedBackend } from '../types.js';
import { MemoryDicts } from './dicts.js';
import { MemoryLocks } from './locks.js';
import { MemorySemaphores } from './semaphores.js';
import { memoryStore } from './store.js';

/** openMemory opens (or joins) the in-process store a `memory://` URL names. */
export async function openMemory(url: URL, options: BackendOptions): Promise<OpenedBackend> {
  const name = decodeURIComponent(url.host + url.pathname.replace(/\/+$/, ''));
  const history = url.searchParams.get('history') ?? options.historyLimit;
  let historyLimit: number | undefined;
  if (history !== undefined && history !== null) {
    historyLimit = Number(history);
    if (!Number.isInteger(historyLimit) || historyLimit < 1) {
      throw new InvalidArgumentError(`memory:// history must be a positive integer (got ${history})`);
    }
  }
  const store = memoryStore(name, historyLimit);
  store.attach();
  const locks = new MemoryLocks(store);
  const dicts = new MemoryDicts(store);
  const semaphores = new MemorySemaphores(store, 'semaphore');
  const rwlocks = new MemorySemaphores(store, 'rwlock');
  let closed = false;
  return {
    locks,
    dicts,
    pools: { semaphores, rwlocks },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([locks.close(), dicts.close(), semaphores.close(), rwlocks.close()]);
      store.detach();
    },
  };
}
