/**
 * translateError and checkReply: the one place where the Redis backend turns what ioredis and its
 * scripts report into baton's typed errors.
 *
 * - A BatonError passes through unchanged.
 * - Anything that is not a Redis error reply (connection refused or closed, command timeout,
 *   "stream isn't writeable" while reconnecting, MaxRetriesPerRequestError) is
 *   BackendUnavailableError: the store could not be reached in time.
 * - A Redis error reply is classified by its error code (the reply's first word, part of the
 *   protocol, not its prose): LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY, OOM,
 *   NOREPLICAS, MOVED/ASK that were not followed, NOAUTH/WRONGPASS and any other reply all become
 *   BackendUnavailableError with the reply as `cause`: none is a fault of the caller's arguments,
 *   which the upper layers validated.
 * - Script status replies (`{'conflict', …}`, `{'fence', …}`, `{'type', …}`, `{'overflow', …}`,
 *   `{'invalid', message}`) become VersionConflictError, StaleFenceError, TypeMismatchError and
 *   InvalidArgumentError (the last two).
 */
import { ReplyError } from 'ioredis';
import {
  BackendUnavailableError,
  BatonError,
  InvalidArgumentError,
  isStaleFenceReason,
  StaleFenceError,
  VersionConflictError,
} from '../../errors.js';
import { notANumberError, overflowError, withArticle } from '../common/incr.js';

/** ScriptReply is a script's array reply: a status, then details. */
export type ScriptReply = readonly (string | number | null)[];

/** translateError maps any failure of a Redis call to a BatonError. */
export function translateError(err: unknown): BatonError {
  if (err instanceof BatonError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isReplyError(err)) {
    const code = message.split(' ', 1)[0] ?? '';
    return new BackendUnavailableError(`redis refused the command (${code}): ${message}`, { cause: err });
  }
  return new BackendUnavailableError(`redis unavailable: ${message}`, { cause: err });
}

const ReplyErrorClass = ReplyError as new (...args: never[]) => Error;

/** isReplyError tells whether `err` is an error reply from the server (ioredis ReplyError). */
function isReplyError(err: unknown): err is Error {
  return err instanceof ReplyErrorClass;
}

/**
 * checkReply returns a script's reply when its status is 'ok', and throws the typed error its
 * status stands for otherwise. `what` names the operation for messages.
 */
export function checkReply(reply: unknown, what: string): ScriptReply {
  if (!Array.isArray(reply) || reply.length === 0) {
    throw new BackendUnavailableError(`redis ${what}: unexpected script reply ${JSON.stringify(reply)}`);
  }
  const r = reply as ScriptReply;
  switch (r[0]) {
    case 'ok':
      return r;
    case 'conflict':
      throw new VersionConflictError(String(r[1]), Number(r[2]), Number(r[3]));
    case 'fence':
      throw new StaleFenceError(String(r[1]), Number(r[2]), isStaleFenceReason(r[3]) ? r[3] : 'newer_fence');
    case 'type':
      throw notANumberError(String(r[1]), withArticle(String(r[2])));
    case 'overflow':
      throw overflowError(String(r[1]));
    case 'invalid': // a pool script refusing permits or a count that do not match the pool in use
      throw new InvalidArgumentError(String(r[1]));
    default:
      throw new BackendUnavailableError(`redis ${what}: unknown script status ${JSON.stringify(r[0])}`);
  }
}
