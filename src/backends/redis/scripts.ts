/**
 * The Lua scripts of the Redis backend: a typed manifest of `scripts/*.lua`, read once per
 * process and registered on each client with ioredis `defineCommand` under a versioned name
 * (`batonV1_<name>`), so ioredis runs them by EVALSHA (loading them on NOSCRIPT) and two baton
 * versions can share one Redis. Every dict script is `dict_lib.lua` followed by its own body,
 * every semaphore pool script (`prelude`) `sem_lib.lua` followed by its own, and the lock acquire
 * and extend scripts `index_lib.lua` (the lock index write, listing.ts) followed by theirs. The
 * scripts that grant (`fence`: lock acquire and the pool scripts) start with `fence_lib.lua`.
 *
 * Where the files are read from: next to this module (`./scripts/`, which is where they are when
 * running from `src/`), else `../../../src/backends/redis/scripts/` relative to it (running from
 * `dist/backends/redis/`: tsc does not copy .lua files, and the package ships `src/`). A missing
 * file fails `connect()` with BackendUnavailableError naming the paths tried.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { BackendUnavailableError, NotReplicatedError } from '../../errors.js';
import { translateError } from './errors.js';

/** SCRIPT_VERSION is part of every registered command name; bump it when a script's contract changes. */
export const SCRIPT_VERSION = 9;

/** MANIFEST lists each script: its file, and its key count (-1: variable, passed with the call). */
const MANIFEST = {
  lockAcquire: { file: 'lock_acquire.lua', keys: -1, lib: false, prelude: 'index_lib.lua', fence: true },
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
  semAcquire: { file: 'sem_acquire.lua', keys: 7, lib: false, prelude: 'sem_lib.lua', fence: true },
  semPoll: { file: 'sem_poll.lua', keys: 7, lib: false, prelude: 'sem_lib.lua', fence: true },
  semLeave: { file: 'sem_leave.lua', keys: 7, lib: false, prelude: 'sem_lib.lua', fence: true },
  semRelease: { file: 'sem_release.lua', keys: 7, lib: false, prelude: 'sem_lib.lua', fence: true },
  semExtend: { file: 'sem_extend.lua', keys: 7, lib: false, prelude: 'sem_lib.lua', fence: true },
  semInspect: { file: 'sem_inspect.lua', keys: 7, lib: false, prelude: 'sem_lib.lua', fence: true },
  semIndexTouch: { file: 'sem_index_touch.lua', keys: 1, lib: false },
  semIndexRead: { file: 'sem_index_read.lua', keys: 1, lib: false },
  expiryNote: { file: 'expiry_note.lua', keys: 1, lib: false },
  expiryClaim: { file: 'expiry_claim.lua', keys: 1, lib: false },
  expirySettle: { file: 'expiry_settle.lua', keys: 1, lib: false },
} as const;

/** ScriptName names one script of the manifest. */
export type ScriptName = keyof typeof MANIFEST;

/**
 * REPLICATED are the scripts whose success must reach `replicas` replicas before it is answered
 * (URL option `replicas`): lock grants and extensions, and every dict write.
 */
const REPLICATED: ReadonlySet<ScriptName> = new Set<ScriptName>([
  'lockAcquire',
  'lockExtend',
  'dictWrite',
  'dictSetIfAbsent',
  'dictPop',
  'dictIncr',
  'dictClear',
  'dictEach', // coalesced calls (coalesce.ts); a chunk of reads only is sent with `replicate: false`
]);

/** succeeded tells whether a script's reply reports a change (status 'ok', or 1 for the lock scripts); refusals change nothing. */
function succeeded(reply: unknown): boolean {
  return Array.isArray(reply) && (reply[0] === 'ok' || reply[0] === 1);
}

/** Replication is what the URL asks of replicas: how many must acknowledge, and within how long. */
export interface Replication {
  readonly replicas: number;
  readonly timeoutMs: number;
}

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
  const fenceLib = readFileSync(`${dir}fence_lib.lua`, 'utf8');
  const loaded = new Map<ScriptName, string>();
  for (const [name, spec] of Object.entries(MANIFEST) as [ScriptName, (typeof MANIFEST)[ScriptName]][]) {
    const body = readFileSync(`${dir}${spec.file}`, 'utf8');
    // A pool or lock script with a prelude (sem_lib.lua, index_lib.lua) is it followed by its own body.
    const prelude = 'prelude' in spec ? `${readFileSync(`${dir}${spec.prelude}`, 'utf8')}\n` : '';
    // A script that grants (lock acquire, every pool script) starts with fence_lib.lua.
    const fence = 'fence' in spec ? `${fenceLib}\n` : '';
    loaded.set(name, spec.lib ? `${lib}\n${body}` : `${fence}${prelude}${body}`);
  }
  sources = loaded;
  return loaded;
}

/** commandName is the versioned ioredis command name of a script. */
function commandName(name: ScriptName): string {
  return `batonV${SCRIPT_VERSION}_${name}`;
}

/**
 * Scripts runs the manifest's scripts on one client (single node, sentinel or cluster). With
 * `replication.replicas` > 0, a REPLICATED script is sent in one pipeline with `WAIT replicas
 * timeoutMs` (on the script's node: WAIT has no key, so a cluster pipeline sends it where the
 * script's slot is), and a success fewer replicas acknowledged fails with NotReplicatedError.
 * WAIT covers every earlier write of the connection, so it holds for the script's writes.
 */
export class Scripts {
  readonly #client: Redis | Cluster;
  readonly #replication: Replication;

  /** constructor registers every script on `client` (once per client). */
  constructor(client: Redis | Cluster, replication: Replication = { replicas: 0, timeoutMs: 0 }) {
    this.#client = client;
    this.#replication = replication;
    for (const [name, lua] of loadSources()) {
      const keys = MANIFEST[name].keys;
      client.defineCommand(commandName(name), keys >= 0 ? { lua, numberOfKeys: keys } : { lua });
    }
  }

  /**
   * run calls a script with its keys and arguments and resolves to its raw reply; any failure is
   * translated (BackendUnavailableError for connection trouble).
   */
  async run(
    name: ScriptName,
    keys: readonly string[],
    args: readonly ScriptArg[],
    { replicate = true }: { replicate?: boolean } = {},
  ): Promise<unknown> {
    const fn = (this.#client as unknown as Record<string, ScriptFn>)[commandName(name)];
    if (!fn) throw new BackendUnavailableError(`redis script ${name} is not registered`);
    const head: ScriptArg[] = MANIFEST[name].keys >= 0 ? [] : [keys.length];
    if (replicate && this.#replication.replicas > 0 && REPLICATED.has(name))
      return this.#runReplicated(name, [...head, ...keys, ...args]);
    try {
      return await fn.call(this.#client, ...head, ...keys, ...args);
    } catch (err) {
      throw translateError(err);
    }
  }

  /** #runReplicated sends the script and WAIT in one pipeline; see the class comment. */
  async #runReplicated(name: ScriptName, callArgs: ScriptArg[]): Promise<unknown> {
    const { replicas, timeoutMs } = this.#replication;
    const pipeline = this.#client.pipeline();
    (pipeline as unknown as Record<string, ScriptFn>)[commandName(name)]!.call(pipeline, ...callArgs);
    pipeline.wait(replicas, timeoutMs);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw translateError(err);
    }
    const [script, wait] = results ?? [];
    if (!script || !wait) throw new BackendUnavailableError(`redis ${name}: no reply to the pipeline`);
    if (script[0]) throw translateError(script[0]);
    if (!succeeded(script[1])) return script[1];
    if (wait[0]) throw translateError(wait[0]);
    const acked = Number(wait[1]);
    if (!(acked >= replicas)) throw new NotReplicatedError(acked, replicas, timeoutMs);
    return script[1];
  }
}
