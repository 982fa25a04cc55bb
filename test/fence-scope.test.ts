/**
 * FenceScope's text form is made and read in one place (src/fence-scope.ts): every scope survives
 * the round trip, text that no scope encodes to is refused with InvalidArgumentError, and a
 * fenced write that names a scope a grant cannot have changes nothing. The kinds' fences are
 * checked end to end by the conformance suite (fenced-write, forged-fence, rwlock, semaphore).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertFenceScope,
  decodeFenceScope,
  encodeFenceScope,
  FENCE_SCOPE_KINDS,
  type FenceScope,
} from '../src/fence-scope.js';
import { connect, InvalidArgumentError } from '../src/index.js';
import { randomHex } from '../src/random.js';

const name = fc.stringMatching(/^[A-Za-z0-9._:-]{1,200}$/);
const scope: fc.Arbitrary<FenceScope> = fc.record({ kind: fc.constantFrom(...FENCE_SCOPE_KINDS), name });

describe('fence scope text form', () => {
  it('decodes every encoded scope back to itself, and a lock scope is its bare name', () => {
    fc.assert(
      fc.property(scope, (s) => {
        expect(decodeFenceScope(encodeFenceScope(s))).toEqual(s);
        expect(assertFenceScope(s)).toEqual(s);
      }),
    );
    expect(encodeFenceScope({ kind: 'lock', name: 'jobs' })).toBe('jobs');
    expect(encodeFenceScope({ kind: 'semaphore', name: 'jobs' })).toBe('semaphore/jobs');
    expect(encodeFenceScope({ kind: 'rwlock', name: 'jobs' })).toBe('rwlock/jobs');
  });

  it('refuses text no scope encodes to, and scope values a grant cannot have', () => {
    for (const bad of ['', 'rwlock/', 'mutex/x', 'a/b', 'semaphore/a/b', '/x', 'x'.repeat(201), 7, null]) {
      expect(() => decodeFenceScope(bad), String(bad)).toThrow(InvalidArgumentError);
    }
    for (const bad of [
      null,
      'jobs',
      { kind: 'mutex', name: 'x' },
      { kind: 'lock', name: '' },
      { kind: 'lock', name: 'a/b' },
      { kind: 'semaphore' },
    ]) {
      expect(() => assertFenceScope(bad), JSON.stringify(bad)).toThrow(InvalidArgumentError);
    }
  });
});

describe('a fenced write naming a bad scope', () => {
  it('is InvalidArgumentError and changes nothing', async () => {
    await using baton = await connect(`memory://fence-scope-${randomHex(6)}`);
    const dict = baton.dict<number>('d');
    const lease = await baton.semaphore('s', { permits: 2, ttlMs: 10_000 }).acquire();
    expect(lease.scope).toEqual({ kind: 'semaphore', name: 's' });
    expect(lease.fenceScope).toBe('semaphore/s');
    const forgedKind = {
      name: lease.name,
      fence: lease.fence,
      token: lease.token,
      scope: { kind: 'mutex', name: 's' },
    };
    await expect(dict.set('k', 1, { fence: forgedKind as never })).rejects.toThrow(InvalidArgumentError);
    await expect(dict.set('k', 1, { fence: { lock: 'mutex/s', fence: lease.fence } })).rejects.toThrow(
      InvalidArgumentError,
    );
    expect(await dict.version()).toBe(0);
    // The same write with the lease itself, and with its text scope, is accepted.
    await dict.set('k', 1, { fence: lease });
    await dict.set('k', 2, { fence: { lock: lease.fenceScope, fence: lease.fence } });
    expect(await dict.get('k')).toBe(2);
    await lease.release();
  });
});
