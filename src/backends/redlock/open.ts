/**
 * openRedlock: the Redlock backend's opener for `redlock://h1:6379,h2:6379,h3:6379` (URL in
 * url.ts). It connects to every master in parallel and succeeds when a quorum answers within
 * `timeoutMs`; masters that did not answer are retried in the background and join when they do.
 * Locks are Redlock with fences (locks.ts); dicts are unsupported on a bare Redlock URL
 * (dicts.ts) — compose with a Redis for them.
 *
 * How it fails: InvalidArgumentError for a bad URL; BackendUnavailableError when fewer than a
 * quorum of masters can be reached within `timeoutMs` (nothing is left open).
 */
import { BackendUnavailableError } from '../../errors.js';
import { KeyLayout } from '../redis/keys.js';
import type { BackendOptions, OpenedBackend } from '../types.js';
import { unsupportedDicts } from './dicts.js';
import { RedlockLocks } from './locks.js';
import { Master } from './master.js';
import type { Redlock } from './ops.js';
import { parseRedlockUrl } from './url.js';

/** DEFAULT_DRIFT_FACTOR matches connect()'s default. */
const DEFAULT_DRIFT_FACTOR = 0.01;

/** openRedlock connects to the Redlock masters a URL names. */
export async function openRedlock(url: URL, options: BackendOptions): Promise<OpenedBackend> {
  const settings = parseRedlockUrl(url, options);
  const masters = settings.masters.map((s) => new Master(s));
  await Promise.all(masters.map((m) => m.open()));
  const reached = masters.filter((m) => m.connected).length;
  if (reached < settings.quorum) {
    const silent = masters.filter((m) => !m.connected).map((m) => m.address);
    await Promise.all(masters.map((m) => m.close()));
    throw new BackendUnavailableError(
      `cannot connect to redlock: ${reached} of ${masters.length} masters reachable within ${settings.timeoutMs} ms, ` +
        `${settings.quorum} needed (${silent.join(', ')} did not answer)`,
    );
  }
  const redlock: Redlock = {
    masters,
    quorum: settings.quorum,
    layout: new KeyLayout(settings.prefix),
    driftFactor: driftFactorOf(options),
  };
  const locks = new RedlockLocks(redlock);
  const dicts = unsupportedDicts(`redlock://${masters.map((m) => m.address).join(',')}`);
  let closing: Promise<void> | undefined;
  return {
    locks,
    dicts,
    pools: [
      'semaphores and read-write locks are not offered on redlock://: a permit count kept',
      'independently on each master has no quorum argument like the lock fence (docs/SAFETY.md);',
      'use redis:// or etcd:// for them',
    ].join(' '),
    close() {
      closing ??= (async () => {
        await locks.close();
        await Promise.all(masters.map((m) => m.close()));
      })();
      return closing;
    },
  };
}

/**
 * driftFactorOf reads the `driftFactor` connect() was given (its ConnectOptions reach the backend
 * as BackendOptions), so the backend's validity check uses the same drift allowance as the
 * Lease's deadline: a lease the backend returns is never already expired by the Lease's clock.
 */
function driftFactorOf(options: BackendOptions): number {
  if ('driftFactor' in options && typeof options.driftFactor === 'number') return options.driftFactor;
  return DEFAULT_DRIFT_FACTOR;
}
