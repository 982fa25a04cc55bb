/**
 * randomHex (src/random.ts): ids and tokens drawn from a pooled CSPRNG buffer must still be of
 * the asked size, hex, and never repeat, including across refills of the pool.
 */
import { describe, expect, it } from 'vitest';
import { newToken } from '../src/locks/lock.js';
import { randomHex } from '../src/random.js';

describe('randomHex', () => {
  it('hands out distinct hex strings of the asked size across many pool refills', () => {
    const seen = new Set<string>();
    const sizes = [16, 8, 3, 1000, 16];
    for (let i = 0; i < 5000; i++) {
      const bytes = sizes[i % sizes.length]!;
      const hex = randomHex(bytes);
      expect(hex).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
      if (bytes >= 8) seen.add(hex);
    }
    // 4000 draws of >= 8 bytes: a repeat means the pool handed the same bytes out twice.
    expect(seen.size).toBe(4000);
  });

  it('owner tokens are 128 bits and unique', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => newToken()));
    expect(tokens.size).toBe(2000);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses a size it cannot serve instead of returning something shorter', () => {
    for (const bad of [0, -1, 1.5, 4097, Number.NaN]) expect(() => randomHex(bad)).toThrow(RangeError);
  });
});
