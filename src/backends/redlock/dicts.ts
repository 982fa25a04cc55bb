/**
 * UnsupportedDicts: the dict side of a bare `redlock://` URL. Redlock's masters are independent
 * stores with no common order, so a dict (one revision sequence, atomic fenced writes) cannot live
 * on them. Every dict call rejects with UnsupportedError whose message shows the composed form,
 * which keeps the Redlock locks and puts the dicts on one Redis:
 * `connect({ locks: 'redlock://…', dicts: 'redis://…' })`. `ping` and `close` succeed (there is
 * nothing to reach), so `baton.ping()` on a bare Redlock URL checks the locks.
 */
import { UnsupportedError } from '../../errors.js';
import type {
  BatchOp,
  ChangeBatch,
  DeleteOptions,
  DictBackend,
  DictCapabilities,
  ListOptions,
  ListPage,
  SetOptions,
  StoredEntry,
  WatchRequest,
  WriteOptions,
} from '../../shared-state/backend.js';

/** unsupported is the error every dict call on a bare Redlock URL rejects with. */
export function unsupported(what: string, locksUrl: string): UnsupportedError {
  return new UnsupportedError(
    `dict ${what} on redlock://: Redlock provides locks only. Put the dicts on one store with the composed form: ` +
      `connect({ locks: '${locksUrl}', dicts: 'redis://host:6379' })`,
  );
}

/** UnsupportedDicts rejects every dict operation with UnsupportedError (see the module comment). */
export class UnsupportedDicts implements DictBackend {
  readonly capabilities: DictCapabilities = Object.freeze({
    ownershipGuard: false,
    fenceIssuedCheck: false,
    ttlGranularityMs: 1,
  });
  readonly #locksUrl: string;

  /** constructor takes the Redlock URL to show in messages (without credentials). */
  constructor(locksUrl: string) {
    this.#locksUrl = locksUrl;
  }

  get(_d: string, _k: string): Promise<StoredEntry | undefined> {
    return this.#fail('get');
  }
  set(_d: string, _k: string, _v: string, _o: SetOptions): Promise<number> {
    return this.#fail('set');
  }
  setIfAbsent(
    _d: string,
    _k: string,
    _v: string,
    _o: { ttlMs?: number | undefined } & WriteOptions,
  ): Promise<{ entry: StoredEntry; created: boolean }> {
    return this.#fail('setIfAbsent');
  }
  delete(_d: string, _k: string, _o: DeleteOptions): Promise<boolean> {
    return this.#fail('delete');
  }
  pop(_d: string, _k: string, _o: WriteOptions): Promise<StoredEntry | undefined> {
    return this.#fail('pop');
  }
  incr(_d: string, _k: string, _by: number, _o: WriteOptions): Promise<{ value: number; version: number }> {
    return this.#fail('incr');
  }
  batch(_d: string, _ops: readonly BatchOp[], _o: WriteOptions): Promise<number> {
    return this.#fail('batch');
  }
  list(_d: string, _o: ListOptions): Promise<ListPage> {
    return this.#fail('list');
  }
  size(_d: string): Promise<number> {
    return this.#fail('size');
  }
  clear(_d: string): Promise<void> {
    return this.#fail('clear');
  }
  version(_d: string): Promise<number> {
    return this.#fail('version');
  }
  watch(_d: string, _r: WatchRequest): AsyncIterable<ChangeBatch> {
    const err = unsupported('watch', this.#locksUrl);
    return {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }),
    };
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}

  #fail(what: string): Promise<never> {
    return Promise.reject(unsupported(what, this.#locksUrl));
  }
}
