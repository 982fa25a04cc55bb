/**
 * The key layout and the Lua files: names cannot break out of their hash tag, every key of a lock
 * or a dict shares one tag, and every script carries its KEYS/ARGV/Returns header.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { escapeTag, KeyLayout, unescapeTag } from '../../src/backends/redis/keys.js';

/** hashTag is the part of a key Redis Cluster hashes: the text between the first { and the next }. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redis key layout', () => {
  const layout = new KeyLayout('p:');

  it('escapes braces and percent so a name stays inside its tag, and reverses exactly', () => {
    for (const name of ['plain', 'a}b', '{x}', '%7D', '}{', 'a%b']) {
      const tag = escapeTag(name);
      expect(tag).not.toMatch(/[{}]/);
      expect(unescapeTag(tag)).toBe(name);
      const lock = layout.lock(name);
      expect(hashTag(lock.holder)).toBe(tag);
      expect(hashTag(lock.fence)).toBe(tag);
      expect(new Set(layout.dict(name).all.map(hashTag))).toEqual(new Set([tag]));
      expect(layout.lockName(lock.holder)).toBe(name);
      expect(layout.lockName(lock.fence)).toBeUndefined();
    }
  });

  it('refuses a prefix with braces', () => {
    expect(() => new KeyLayout('a{')).toThrow();
  });
});

describe('redis Lua scripts', () => {
  const dir = fileURLToPath(new URL('../../src/backends/redis/scripts/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));

  it.each(files)('%s opens with a header naming its KEYS, ARGV and Returns', (file) => {
    const text = readFileSync(`${dir}${file}`, 'utf8');
    const header = text.slice(0, text.indexOf(']]'));
    expect(header.startsWith(`--[[\n  ${file.replace('.lua', '')}:`)).toBe(true);
    expect(header).toMatch(/KEYS\[1/);
    expect(header).toMatch(/ARGV\[|no ARGV/);
    if (file !== 'dict_lib.lua') expect(header).toMatch(/Returns/);
  });
});
