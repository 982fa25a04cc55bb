/**
 * FenceScope: which fence counter a fence belongs to, as a value: `{ kind, name }`. A lock, a
 * semaphore and a read-write lock of one name are three counters. Inside baton a scope is always
 * this value; its text form exists only at the edges that carry it as text, and is made and read
 * only by encodeFenceScope / decodeFenceScope: the REST header `Baton-Fence-Lock`, the
 * `BATON_FENCE_LOCK` variable of `baton run`, `{ lock }` in a fenced write's options, the
 * `lease.fenceScope` property, error details, and the keys stores file fence counters under. The
 * text is `<name>` for a lock and `<kind>/<name>` for the others (`semaphore/jobs`, `rwlock/cfg`);
 * lock names cannot hold a `/`, so the two forms never collide.
 *
 * How it fails: decodeFenceScope and assertFenceScope throw InvalidArgumentError for what is not
 * a fence scope (nothing else here throws).
 */
import { InvalidArgumentError } from './errors.js';
import { preview } from './validation.js';

/** FENCE_SCOPE_KINDS are the kinds of grant that issue fences. */
export const FENCE_SCOPE_KINDS = ['lock', 'semaphore', 'rwlock'] as const;

/** FenceScopeKind is the kind of grant a fence counter counts: a lock, a semaphore or a read-write lock. */
export type FenceScopeKind = (typeof FENCE_SCOPE_KINDS)[number];

/** FenceScope names one fence counter: the `kind` of grant and the lock, semaphore or rwlock `name`. */
export interface FenceScope {
  readonly kind: FenceScopeKind;
  readonly name: string;
}

/**
 * FENCE_SCOPE_PATTERN matches the text form of a fence scope (encodeFenceScope): a name (1-200 of
 * A-Z a-z 0-9 . _ : -), optionally after `semaphore/` or `rwlock/`.
 */
export const FENCE_SCOPE_PATTERN = /^(?:(?:rwlock|semaphore)\/)?[A-Za-z0-9._:-]{1,200}$/;

/** SCOPE_NAME_PATTERN matches the name of a fence scope (a lock, semaphore or rwlock name). */
const SCOPE_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

/** encodeFenceScope is the text form of `scope`: `<name>` for a lock, `<kind>/<name>` otherwise. */
export function encodeFenceScope(scope: FenceScope): string {
  return scope.kind === 'lock' ? scope.name : `${scope.kind}/${scope.name}`;
}

/**
 * decodeFenceScope reads the text form of a fence scope back. InvalidArgumentError for anything
 * encodeFenceScope cannot make from a valid name.
 */
export function decodeFenceScope(text: unknown): FenceScope {
  if (typeof text !== 'string' || !FENCE_SCOPE_PATTERN.test(text)) {
    throw new InvalidArgumentError(
      `fence lock must be a lock name, or rwlock/<name> or semaphore/<name> (got ${preview(text)})`,
    );
  }
  const slash = text.indexOf('/');
  if (slash < 0) return { kind: 'lock', name: text };
  return { kind: text.slice(0, slash) as 'semaphore' | 'rwlock', name: text.slice(slash + 1) };
}

/**
 * assertFenceScope checks a fence scope given as a value (as a lease carries it) and returns a
 * copy of it. InvalidArgumentError when its kind or name is not one a grant can have.
 */
export function assertFenceScope(scope: unknown): FenceScope {
  const { kind, name } = (scope ?? {}) as { kind?: unknown; name?: unknown };
  if (
    typeof scope !== 'object' ||
    !FENCE_SCOPE_KINDS.includes(kind as FenceScopeKind) ||
    typeof name !== 'string' ||
    !SCOPE_NAME_PATTERN.test(name)
  ) {
    throw new InvalidArgumentError(
      `fence scope must be { kind: 'lock' | 'semaphore' | 'rwlock', name } with a valid name (got ${preview(scope)})`,
    );
  }
  return { kind: kind as FenceScopeKind, name };
}
