/**
 * What a backend module gives `connect()`: both contracts over one store, and how to close it.
 * A backend that cannot do one side (dicts on Redlock) returns an implementation that rejects
 * with UnsupportedError.
 */
import type { LockBackend } from '../locks/backend.js';
import type { SemaphoreBackend } from '../locks/semaphore-backend.js';
import type { DictBackend, IssuedFenceReader } from '../shared-state/backend.js';

/** BackendOptions are the connection settings every backend understands (all optional). */
export interface BackendOptions {
  /** timeoutMs bounds one backend command; past it the call fails with BackendUnavailableError. Default 5000. */
  readonly timeoutMs?: number | undefined;
  /** historyLimit is how many versions of watch history a dict keeps (where the backend bounds it by count). */
  readonly historyLimit?: number | undefined;
  /** maxValueBytes is the largest encoded value accepted. Default 1 MiB. */
  readonly maxValueBytes?: number | undefined;
  /**
   * watchBufferBytes bounds what one watch holds for a consumer that reads slower than changes
   * come, where the store pushes changes (etcd); past it the watch ends with WatchOverflowError.
   * Default 4 MiB. URL option `watchBuffer`.
   */
  readonly watchBufferBytes?: number | undefined;
}

/** OpenedBackend is one connected store. */
export interface OpenedBackend {
  readonly locks: LockBackend;
  readonly dicts: DictBackend;
  /**
   * semaphores and rwlocks: two SemaphoreBackend namespaces over the same store, or a string
   * saying why this backend has none (Baton then answers UnsupportedError with it).
   */
  readonly pools: { readonly semaphores: SemaphoreBackend; readonly rwlocks: SemaphoreBackend } | string;
  /**
   * issuedFence, where the backend has its own, reads a fence scope's issued counter before a
   * fenced write that the dict store cannot check itself (a cluster, a composed client), and
   * answers `floorIfLost` for a dict that accepted the scope's fences before (DictSettings).
   * Absent: Baton reads the counter through the lock backend's inspect().
   */
  readonly issuedFence?: IssuedFenceReader | undefined;
  /** close closes both sides and every connection; idempotent. */
  close(): Promise<void>;
}

/** BackendOpener connects to the store a URL names. */
export type BackendOpener = (url: URL, options: BackendOptions) => Promise<OpenedBackend>;
