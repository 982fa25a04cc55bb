/**
 * The key layout and the Lua files: names cannot break out of their hash tag, every key of a lock
 * or a dict shares one tag, every script carries its KEYS/ARGV/Returns header, and the registry
 * (scripts.ts, script-defs.ts) registers every script file with its includes resolved.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { escapeTag, KeyLayout, unescapeTag } from '../../src/backends/redis/keys.js';
import { ALL_SCRIPTS, LOCK_ACQUIRE, LOCK_RELEASE, SEM_POLL } from '../../src/backends/redis/script-defs.js';
import { scriptSource, scriptVersion } from '../../src/backends/redis/scripts.js';

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
  const dirs = ['../../src/backends/redis/scripts/', '../../src/backends/redlock/scripts/'].map((d) =>
    fileURLToPath(new URL(d, import.meta.url)),
  );
  const files = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .map((f) => [f, dir] as const),
  );

  it.each(files)('%s opens with a header naming its KEYS, ARGV and Returns', (file, dir) => {
    const text = readFileSync(`${dir}${file}`, 'utf8');
    const header = text.slice(0, text.indexOf(']]'));
    expect(header.startsWith(`--[[\n  ${file.replace('.lua', '')}:`)).toBe(true);
    expect(header).toMatch(/KEYS\[1/);
    expect(header).toMatch(/ARGV\[|no ARGV/);
    if (file !== 'dict_lib.lua') expect(header).toMatch(/Returns/);
  });

  it('registers every file that is not a library, each assembled with its includes resolved once', () => {
    const registered = new Set(ALL_SCRIPTS.map((s) => s.file.slice(s.file.lastIndexOf('/') + 1)));
    const libraries = files.map(([f]) => f).filter((f) => f.endsWith('_lib.lua'));
    expect([...registered, ...libraries].sort()).toEqual(files.map(([f]) => f).sort());
    for (const script of ALL_SCRIPTS) {
      const lua = scriptSource(script);
      expect(lua).not.toMatch(/^\s*--@include/m);
      // A library is defined once per script even when two of its includes name it (fence_lib and sem_lib both include clock_lib).
      expect(lua.match(/^local function now_ms\(\)/gm)?.length ?? 0).toBeLessThanOrEqual(1);
      if (/now_ms\(\)/.test(lua)) expect(lua).toMatch(/^local function now_ms\(\)/m);
    }
    expect(scriptSource(SEM_POLL)).toMatch(
      /local function next_fence\(key, now\)[\s\S]*local function settle\(changed\)/,
    );
  });

  it('defines the queue library in the lock acquire and release scripts only inside their contended branch', () => {
    // An uncontended lock cycle then builds none of the queue's closures (scripts.ts, includes).
    for (const script of [LOCK_ACQUIRE, LOCK_RELEASE]) {
      const lua = scriptSource(script);
      const branch = lua.search(/^if .*\bthen$/m);
      const queueLib = lua.indexOf('local function queue_next(');
      expect(branch).toBeGreaterThan(0);
      expect(queueLib).toBeGreaterThan(branch);
      expect(lua.slice(0, branch)).not.toMatch(/local function queue_/);
    }
  });

  it('derives SCRIPT_VERSION from the scripts text', () => {
    expect(scriptVersion()).toMatch(/^[0-9a-f]{10}$/);
  });
});
