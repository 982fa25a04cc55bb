/**
 * unsupportedDicts: the dict side of a bare `redlock://` URL. Redlock's masters are independent
 * stores with no common order, so a dict (one revision sequence, atomic fenced writes) cannot live
 * on them. Every dict call rejects with UnsupportedError whose message shows the composed form,
 * which keeps the Redlock locks and puts the dicts on one Redis:
 * `connect({ locks: 'redlock://…', dicts: 'redis://…' })`. `ping` and `close` succeed (there is
 * nothing to reach), so `baton.ping()` on a bare Redlock URL checks the locks.
 */
import { UnsupportedError } from '../../errors.js';
import type { DictBackend } from '../../shared-state/backend.js';

/** unsupported is the error every dict call on a bare Redlock URL rejects with. */
export function unsupported(what: string, locksUrl: string): UnsupportedError {
  return new UnsupportedError(
    `dict ${what} on redlock://: Redlock provides locks only. Put the dicts on one store with the composed form: ` +
      `connect({ locks: '${locksUrl}', dicts: 'redis://host:6379' })`,
  );
}

/**
 * unsupportedDicts makes the dict backend of a bare Redlock URL: every operation rejects with
 * UnsupportedError (see the module comment), `ping` and `close` succeed. `locksUrl` is shown in
 * the messages (without credentials).
 */
export function unsupportedDicts(locksUrl: string): DictBackend {
  const fail = (what: string) => () => Promise.reject(unsupported(what, locksUrl));
  return {
    capabilities: Object.freeze({ ownershipGuard: false, fenceIssuedCheck: false, ttlGranularityMs: 1 }),
    get: fail('get'),
    set: fail('set'),
    setIfAbsent: fail('setIfAbsent'),
    delete: fail('delete'),
    pop: fail('pop'),
    incr: fail('incr'),
    batch: fail('batch'),
    list: fail('list'),
    size: fail('size'),
    clear: fail('clear'),
    version: fail('version'),
    watch: () => ({
      [Symbol.asyncIterator]: () => ({ next: fail('watch') }),
    }),
    ping: async () => {},
    close: async () => {},
  };
}
