/**
 * connect: the composition root. It parses the backend URL(s), loads only the backend modules
 * they name, and returns a Baton. This is the one place above the backends that knows them.
 */

import { openerFor } from './backends/registry.js';
import type { BackendOptions, OpenedBackend } from './backends/types.js';
import { parseBackendUrl } from './backends/url.js';
import { Baton, type BatonSettings } from './baton.js';
import { InvalidArgumentError } from './errors.js';
import { DEFAULT_MAX_VALUE_BYTES } from './shared-state/codec.js';

/** ConnectTarget is one backend URL for both locks and dicts, or one for each. */
export type ConnectTarget = string | { readonly locks: string; readonly dicts: string };

/** ConnectOptions tune the client and its backend connections. */
export interface ConnectOptions extends BackendOptions {
  /** driftFactor is the fraction of a lease's TTL assumed lost to clock drift (plus 2 ms). Default 0.01. */
  readonly driftFactor?: number;
}

/**
 * connect opens a client on `target` (default `memory://`, or `BATON_URL` if you pass it in).
 * Schemes: memory://, and the others listed in the README as they are built. InvalidArgumentError
 * for a malformed URL, unknown scheme or bad option; BackendUnavailableError when the backend
 * cannot be reached within its timeout.
 */
export async function connect(
  target: ConnectTarget = 'memory://',
  options: ConnectOptions = {},
): Promise<Baton> {
  const driftFactor = options.driftFactor ?? 0.01;
  if (typeof driftFactor !== 'number' || !(driftFactor >= 0 && driftFactor < 0.5)) {
    throw new InvalidArgumentError(`driftFactor must be a number from 0 to 0.5 (got ${String(driftFactor)})`);
  }
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  if (!Number.isInteger(maxValueBytes) || maxValueBytes < 1) {
    throw new InvalidArgumentError(`maxValueBytes must be a positive integer (got ${String(maxValueBytes)})`);
  }

  if (typeof target === 'string') {
    const backend = await open(target, options);
    const settings: BatonSettings = {
      driftFactor,
      maxValueBytes,
      ownershipGuard: backend.dicts.capabilities.ownershipGuard,
      fenceIssuedCheck: backend.dicts.capabilities.fenceIssuedCheck,
      issuedFence: backend.dicts.capabilities.fenceIssuedCheck ? undefined : backend.issuedFence,
    };
    return new Baton(backend.locks, backend.dicts, settings, () => backend.close(), backend.pools);
  }
  if (
    target === null ||
    typeof target !== 'object' ||
    typeof target.locks !== 'string' ||
    typeof target.dicts !== 'string'
  ) {
    throw new InvalidArgumentError('connect() takes a URL string or { locks: URL, dicts: URL }');
  }
  const locks = await open(target.locks, options);
  let dicts: OpenedBackend;
  try {
    dicts = await open(target.dicts, options);
  } catch (err) {
    await locks.close();
    throw err;
  }
  // Lock and dict live in different stores: no single atomic step sees both, so fenced writes
  // are checked against the dict's fence table only, and whether a fence was issued is read from
  // the lock store before each fenced write (see docs/SAFETY.md).
  const settings: BatonSettings = {
    driftFactor,
    maxValueBytes,
    ownershipGuard: false,
    fenceIssuedCheck: false,
    issuedFence: locks.issuedFence,
  };
  // Semaphores and rwlocks come from the locks backend: they are locks.
  return new Baton(
    locks.locks,
    dicts.dicts,
    settings,
    async () => {
      await Promise.all([locks.close(), dicts.close()]);
    },
    locks.pools,
  );
}

async function open(urlText: string, options: BackendOptions): Promise<OpenedBackend> {
  const url = parseBackendUrl(urlText);
  const opener = await openerFor(url);
  return opener(url, options);
}
