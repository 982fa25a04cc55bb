/**
 * RedlockScripts: the Lua scripts only the Redlock backend needs (`scripts/redlock_*.lua`, same
 * header convention as the Redis backend's). They are registered on each master's client with
 * ioredis `defineCommand` under a versioned name (`batonRedlockV1_<name>`), next to the Redis
 * backend's own scripts, which Redlock reuses for extend and release (see locks.ts).
 *
 * Where the files are read from: next to this module (`./scripts/`, when running from `src/`),
 * else `../../../src/backends/redlock/scripts/` relative to it (running from `dist/`: tsc does
 * not copy .lua files, and the package ships `src/`). A missing file fails `connect()` with
 * BackendUnavailableError naming the paths tried.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { BackendUnavailableError } from '../../errors.js';
import { translateError } from '../redis/errors.js';

/** REDLOCK_SCRIPT_VERSION is part of every registered command name; bump it when a script's contract changes. */
export const REDLOCK_SCRIPT_VERSION = 2;

/** MANIFEST lists each script and its key count. */
const MANIFEST = {
  acquire: { file: 'redlock_acquire.lua', keys: 2 },
  fence: { file: 'redlock_fence.lua', keys: 2 },
  inspect: { file: 'redlock_inspect.lua', keys: 2 },
} as const;

/** RedlockScriptName names one script of the manifest. */
export type RedlockScriptName = keyof typeof MANIFEST;

type ScriptArg = string | number;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

let sources: Map<RedlockScriptName, string> | undefined;

function loadSources(): Map<RedlockScriptName, string> {
  if (sources) return sources;
  const candidates = [
    new URL('./scripts/', import.meta.url),
    new URL('../../../src/backends/redlock/scripts/', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const dir = candidates.find((d) => existsSync(`${d}${MANIFEST.acquire.file}`));
  if (!dir) {
    throw new BackendUnavailableError(`redlock Lua scripts not found (looked in ${candidates.join(', ')})`);
  }
  const loaded = new Map<RedlockScriptName, string>();
  for (const name of Object.keys(MANIFEST) as RedlockScriptName[]) {
    loaded.set(name, readFileSync(`${dir}${MANIFEST[name].file}`, 'utf8'));
  }
  sources = loaded;
  return loaded;
}

function commandName(name: RedlockScriptName): string {
  return `batonRedlockV${REDLOCK_SCRIPT_VERSION}_${name}`;
}

/** RedlockScripts runs the Redlock scripts on one master's client. */
export class RedlockScripts {
  readonly #client: Redis | Cluster;

  /** constructor registers the scripts on `client`; BackendUnavailableError when the files are missing. */
  constructor(client: Redis | Cluster) {
    this.#client = client;
    for (const [name, lua] of loadSources()) {
      client.defineCommand(commandName(name), { lua, numberOfKeys: MANIFEST[name].keys });
    }
  }

  /** run calls a script and resolves to its raw reply; any failure becomes a BatonError (translateError). */
  async run(name: RedlockScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const fn = (this.#client as unknown as Record<string, ScriptFn>)[commandName(name)];
    if (!fn) throw new BackendUnavailableError(`redlock script ${name} is not registered`);
    try {
      return await fn.call(this.#client, ...keys, ...args);
    } catch (err) {
      throw translateError(err);
    }
  }
}
