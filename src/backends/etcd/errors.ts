/**
 * The one translator from etcd3 / gRPC / cockatiel errors to baton's typed errors, and the two
 * questions the retry loop asks about a failure: may this call be repeated (`isTransient`), and
 * did the request certainly never reach etcd (`isUnsent`).
 *
 * gRPC reports "the call never left this process" only in its status text (grpc-js: "No
 * connection established"; etcd: "no leader", "too many requests" are refusals before any
 * proposal). Reading that text happens here and nowhere else — the same distinction etcd's Go
 * client draws to decide which writes are safe to send again.
 */
import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  GRPCInvalidArgumentError,
  GRPCUnauthenticatedError,
  isRecoverableError,
} from 'etcd3';
import {
  BackendUnavailableError,
  BatonError,
  InvalidArgumentError,
  PayloadTooLargeError,
} from '../../errors.js';

const UNSENT_TEXT = ['No connection established', 'etcdserver: no leader', 'etcdserver: too many requests'];

/** isUnsent is true when the request certainly never reached etcd, so even a write may be sent again. */
export function isUnsent(err: unknown): boolean {
  if (isCockatielRefusal(err)) return true;
  return (
    err instanceof Error && !(err instanceof BatonError) && UNSENT_TEXT.some((t) => err.message.includes(t))
  );
}

/**
 * isCockatielRefusal is true for cockatiel's BrokenCircuitError and TaskCancelledError. It checks
 * their brand properties, not `instanceof`, so it holds whichever copy of cockatiel threw them
 * (baton's own or the one etcd3 resolves, when a package manager installs two).
 */
function isCockatielRefusal(err: unknown): boolean {
  return err instanceof Error && ('isBrokenCircuitError' in err || 'isTaskCancelledError' in err);
}

/** isTransient is true for failures of the transport or of the cluster's availability (retry an idempotent call). */
export function isTransient(err: unknown): boolean {
  if (isUnsent(err)) return true;
  return err instanceof Error && !(err instanceof BatonError) && isRecoverableError(err);
}

/** isLeaseGone is true when etcd says the lease does not exist (expired or revoked). */
export function isLeaseGone(err: unknown): boolean {
  return err instanceof EtcdLeaseInvalidError;
}

/**
 * leaseVanished is true for an error of a call that put a key on a lease etcd no longer has,
 * raw or as translated by EtcdClient (the etcd error is the cause): the caller was paused past
 * the lease's TTL between granting it and using it. The transaction changed nothing.
 */
export function leaseVanished(err: unknown): boolean {
  return isLeaseGone(err) || (err instanceof BatonError && isLeaseGone(err.cause));
}

/**
 * translateError turns any failure of an etcd call into a BatonError: unreachable, timed out,
 * leaderless or overloaded clusters and closed clients become BackendUnavailableError (retryable);
 * refused credentials, refused arguments and oversize requests become InvalidArgumentError or
 * PayloadTooLargeError. A BatonError passes through unchanged.
 */
export function translateError(err: unknown, what: string): BatonError {
  if (err instanceof BatonError) return err;
  const text = err instanceof Error ? err.message : String(err);
  if (err instanceof ClientClosedError) return new BackendUnavailableError('baton client is closed');
  if (
    err instanceof EtcdAuthenticationFailedError ||
    err instanceof EtcdPermissionDeniedError ||
    err instanceof GRPCUnauthenticatedError
  ) {
    return new InvalidArgumentError(`etcd refused ${what}: ${text}`, { cause: err });
  }
  if (err instanceof GRPCInvalidArgumentError || (err instanceof Error && text.includes('etcdserver: '))) {
    if (text.includes('request is too large'))
      return new PayloadTooLargeError(`etcd refused ${what}: the request is too large`, { cause: err });
    if (!isTransient(err)) return new InvalidArgumentError(`etcd refused ${what}: ${text}`, { cause: err });
  }
  return new BackendUnavailableError(`etcd ${what} failed: ${text}`, { cause: err });
}
