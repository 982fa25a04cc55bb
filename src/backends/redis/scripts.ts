/**
 * The Lua scripts of the Redis backend: a typed manifest of `scripts/*.lua`, read once per
 * process and registered on each client with ioredis `defineCommand` under a versioned name
 * (`batonV1_<name>`), so ioredis runs them by EVALSHA (loading them on NOSCRIPT) and two baton
 * versions can share one Redis. Every dict script is `dict_lib.lua` followed by its own body,
 * every semaphore pool script (`prelude`) `sem_lib.lua` followed by its own, and the lock acquire
 * and extend scripts `index_lib.lua` (the lock index write, listing.ts) followed by theirs.
 *
 * Where the files are read from: next to this module (`./scripts/`, which is where they are when
 * running from `src/`), else `../../../src/backends/redis/scripts/` relative to it (running from
 * `dist/backends/redis/`: tsc does not copy .lua files, and the package ships `src/`). A missing
 * file fails `connect()` with BackendUnavailableError naming the paths tried.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { BackendUnavailableError } from '../../errors.js';
import { translateError } from './errors.js';

/** SCRIPT_VERSION is part of every registered command name; bump it when a script's contract changes. */
export const SCRIPT_VERSION = 8;

/** MANIFEST lists each script: its file, and its key count (-1: variable, passed with the call). */
const MANIFEST = {
  lockAcquire: { file: 'lock_acquire.lua', keys: -1, lib: false, prelude: 'index_lib.lua' },
  lockExtend: { file: 'lock_extend.lua', keys: -1, lib: false, prelude: 'index_lib.lua' },
  lockRelease: { file: 'lock_release.lua', keys: 3, lib: false },
  lockLeave: { file: 'lock_leave.lua', keys: 3, lib: false },
  lockInspect: { file: 'lock_inspect.lua', keys: 2, lib: false },
  dictGet: { file: 'dict_get.lua', keys: 1, lib: false },
  dictWrite: { file: 'dict_write.lua', keys: -1, lib: true },
  dictSetIfAbsent: { file: 'dict_set_if_absent.lua', keys: -1, lib: true },
  dictPop: { file: 'dict_pop.lua', keys: -1, lib: true },
  dictIncr: { file: 'dict_incr.lua', keys: -1, lib: true },
  dictEach: { file: 'dict_each.lua', keys: 6, lib: true },
  dictList: { file: 'dict_list.lua', keys: 6, lib: true },
  dictState: { file: 'dict_state.lua', keys: 6, lib: true },
  dictClear: { file: 'dict_clear.lua', keys: 6, lib: true },
  semAcquire: { file: 'sem_acquire.lua', keys: 7, lib: false, prelude: 'sem_lib.lua' },
  semPoll: { file: 'sem_poll.lua', keys: 7, lib: false, prelude: 'sem_lib.lua' },
  semLeave: { file: 'sem_leave.lua', keys: 7, lib: false, prelude: 'sem_lib.lua' },
  semRelease: { file: 'sem_release.lua', keys: 7, lib: false, prelude: 'sem_lib.lua' },
  semExtend: { file: 'sem_extend.lua', keys: 7, lib: false, prelude: 'sem_lib.lua' },
  semInspect: { file: 'sem_inspect.lua', keys: 7, lib: false, prelude: 'sem_lib.lua' },
  semIndexTouch: { file: 'sem_index_touch.lua', keys: 1, lib: false },
  semIndexRead: { file: 'sem_index_read.lua', keys: 1, lib: false },
  expiryNote: { file: 'expiry_note.lua', keys: 1, lib: false },
  expiryClaim: { file: 'expiry_claim.lua', keys: 1, lib: false },
  expirySettle: { file: 'expiry_settle.lua', keys: 1, lib: false },
} as const;

/** ScriptName names one script of the manifest. */
export type ScriptName = keyof typeof MANIFEST;

type ScriptArg = string | number;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

let sources: Map<ScriptName, string> | undefined;

/** scriptsDir finds the directory holding the .lua files (see the module comment). */
function scriptsDir(): string {
  const candidates = [
    new URL('./scripts/', import.meta.url),
    new URL('../../../src/backends/redis/scripts/', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const dir = candidates.find((d) => existsSync(`${d}lock_acquire.lua`));
  if (!dir)
    throw new BackendUnavailableError(`redis Lua scripts not found (looked in ${candidates.join(', ')})`);
  return dir;
}

function loadSources(): Map<ScriptName, string> {
  if (sources) return sources;
  const dir = scriptsDir();
  const lib = readFileSync(`${dir}dict_lib.lua`, 'utf8');
  const loaded = new Map<ScriptName, string>();
  for (const [name, spec] of Object.entries(MANIFEST) as [ScriptName, (typeof MANIFEST)[ScriptName]][]) {
    const body = readFileSync(`${dir}${spec.file}`, 'utf8');
    // A pool or lock script with a prelude (sem_lib.lua, index_lib.lua) is it followed by its own body.
    const prelude = 'prelude' in spec ? `${readFileSync(`${dir}${spec.prelude}`, 'utf8')}\n` : '';
    loaded.set(name, spec.lib ? `${lib}\n${body}` : `${prelude}${body}`);
  }
  sources = loaded;
  return loaded;
}

/** commandName is the versioned ioredis command name of a script. */
function commandName(name: ScriptName): string {
  return `batonV${SCRIPT_VERSION}_${name}`;
}

/** Scripts runs the manifest's scripts on one client (single node, sentinel or cluster). */
export class Scripts {
  readonly #client: Redis | Cluster;

  /** constructor registers every script on `client` (once per client). */
  constructor(client: Redis | Cluster) {
    this.#client = client;
    for (const [name, lua] of loadSources()) {
      const keys = MANIFEST[name].keys;
      client.defineCommand(commandName(name), keys >= 0 ? { lua, numberOfKeys: keys } : { lua });
    }
  }

  /**
   * run calls a script with its keys and arguments and resolves to its raw reply; any failure is
   * translated (BackendUnavailableError for connection trouble).
   */
  async run(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const fn = (this.#client as unknown as Record<string, ScriptFn>)[commandName(name)];
    if (!fn) throw new BackendUnavailableError(`redis script ${name} is not registered`);
    const head: ScriptArg[] = MANIFEST[name].keys >= 0 ? [] : [keys.length];
    try {
      return await fn.call(this.#client, ...head, ...keys, ...args);
    } catch (err) {
      throw translateError(err);
    }
  }
}
