/**
 * The one Lua script registry of the Redis and Redlock backends: how a script is read, assembled,
 * versioned, registered and called. What each script takes and answers is in script-defs.ts (one
 * typed definition per script); the scripts are `redis/scripts/*.lua` and
 * `redlock/scripts/*.lua` under `src/backends/`.
 *
 * - One include mechanism: a line `--@include "<lib>.lua"` (after the file's header) is replaced
 *   by that library file from `redis/scripts/`, itself assembled the same way; each library goes
 *   into one script at most once, at its first include (clock_lib.lua, fence_lib.lua,
 *   index_lib.lua, dict_lib.lua, sem_lib.lua). An include line indented inside a block defines
 *   the library's functions only when that block runs: Lua builds a closure for every `local
 *   function` each time a script runs, so lock_acquire and lock_release include queue_lib.lua
 *   only on their contended path. Such a library is local to its block, so including it again
 *   anywhere in the script fails the assembly instead of naming functions out of their scope.
 * - One version: SCRIPT_VERSION is a digest of every assembled script, so it changes exactly when a
 *   script's text does. It is part of each registered command name (`baton_<version>_<name>`).
 * - Registration: every script is registered on a client with ioredis `defineCommand` when its
 *   Scripts object is made, so ioredis runs it by EVALSHA (loading it on NOSCRIPT) and two baton
 *   versions can share one Redis.
 * - One reply convention: every script answers an array whose first element is a status: 'ok'
 *   followed by the result (which may be a refusal the caller expects, such as a lock that is
 *   held), or one of the error statuses checkReply (errors.ts) turns into a typed error.
 *
 * Where the files are read from: `src/backends/` next to this module's directory (running from
 * `src/`), else `../../../src/backends/` relative to it (running from `dist/backends/redis/`: tsc
 * does not copy .lua files, and the package ships `src/`). A missing file fails `connect()` with
 * BackendUnavailableError naming the paths tried.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { BackendUnavailableError, NotReplicatedError } from '../../errors.js';
import { checkReply, type ScriptReply, translateError } from './errors.js';
import { ALL_SCRIPTS } from './script-defs.js';

/** ScriptArg is one KEYS or ARGV element. */
export type ScriptArg = string | number;

/** ScriptEnv is what a client's deployment fixes for every call of its scripts. */
export interface ScriptEnv {
  /**
   * lockIndex is the lock index key where it shares the node with every lock (a single Redis or
   * one behind sentinels): the lock acquire and extend scripts then write it themselves and take
   * it as their last KEYS. Undefined in a cluster (another slot) and for Redlock (written on
   * every master by the client).
   */
  readonly lockIndex?: string | undefined;
}

/**
 * Script is one Lua script with its typed call: `file` is its path under `src/backends/`, `call`
 * builds its KEYS and ARGV from a typed input, `decode` turns its checked reply (status 'ok') into
 * a typed answer, and `replicated`, for the scripts whose changes must reach `replicas` replicas
 * before they are answered (URL option `replicas`), tells whether an answer is such a change.
 */
export interface Script<I, O> {
  readonly name: string;
  readonly file: string;
  call(
    input: I,
    env: ScriptEnv,
  ): { readonly keys: readonly ScriptArg[]; readonly args: readonly ScriptArg[] };
  decode(reply: ScriptReply): O;
  replicated?(answer: O): boolean;
}

/** AnyScript is a Script of any input and answer (the registry's list). */
export type AnyScript = Script<never, unknown>;

/** Replication is what the URL asks of replicas: how many must acknowledge, and within how long. */
export interface Replication {
  readonly replicas: number;
  readonly timeoutMs: number;
}

const INCLUDE = /^([ \t]*)--@include "([a-z_]+\.lua)"$/gm;

/** backendsDir finds `src/backends/` (see the module comment). */
function backendsDir(): string {
  const candidates = [
    new URL('../', import.meta.url),
    new URL('../../../src/backends/', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const dir = candidates.find((d) => existsSync(`${d}redis/scripts/clock_lib.lua`));
  if (!dir)
    throw new BackendUnavailableError(`redis Lua scripts not found (looked in ${candidates.join(', ')})`);
  return dir;
}

/**
 * assemble reads `file` (under `dir`) and replaces its includes, each library at most once per
 * script. `included` maps each library already in the script to whether it went in inside a
 * block (an indented include, or an include within such a library); `inBlock` says whether `file`
 * itself did.
 */
function assemble(dir: string, file: string, included: Map<string, boolean>, inBlock: boolean): string {
  let text: string;
  try {
    text = readFileSync(`${dir}${file}`, 'utf8');
  } catch (err) {
    throw new BackendUnavailableError(`redis Lua script ${file} not readable in ${dir}`, { cause: err });
  }
  return text.replace(INCLUDE, (_, indent: string, lib: string) => {
    const scoped = included.get(lib);
    if (scoped === true)
      throw new BackendUnavailableError(
        `redis Lua script ${file} includes ${lib}, already included inside a block (local to it)`,
      );
    if (scoped === false) return `${indent}-- (${lib} included above)`;
    const blockHere = inBlock || indent !== '';
    included.set(lib, blockHere);
    return assemble(dir, `redis/scripts/${lib}`, included, blockHere);
  });
}

interface Loaded {
  readonly version: string;
  readonly sources: ReadonlyMap<string, string>;
}

let loaded: Loaded | undefined;

/** load assembles every script once per process and derives the version from their text. */
function load(): Loaded {
  if (loaded) return loaded;
  const dir = backendsDir();
  const sources = new Map<string, string>();
  const digest = createHash('sha1');
  for (const script of ALL_SCRIPTS) {
    const lua = assemble(dir, script.file, new Map(), false);
    sources.set(script.name, lua);
    digest.update(`${script.name}\0${lua}\0`);
  }
  loaded = { version: digest.digest('hex').slice(0, 10), sources };
  return loaded;
}

/** scriptVersion is SCRIPT_VERSION: the digest of every assembled script (see the module comment). */
export function scriptVersion(): string {
  return load().version;
}

/** scriptSource is a script's assembled text, as registered (for tests and diagnostics). */
export function scriptSource(script: AnyScript): string {
  const lua = load().sources.get(script.name);
  if (lua === undefined)
    throw new BackendUnavailableError(`redis script ${script.name} is not in the registry`);
  return lua;
}

type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

/**
 * Scripts runs the registry's scripts on one client (single node, sentinel, cluster, or one
 * Redlock master). With `replication.replicas` > 0, a replicated script is sent in one pipeline
 * with `WAIT replicas timeoutMs` (on the script's node: WAIT has no key, so a cluster pipeline
 * sends it where the script's slot is), and a change fewer replicas acknowledged fails with
 * NotReplicatedError. WAIT covers every earlier write of the connection, so it holds for the
 * script's writes.
 */
export class Scripts {
  /** client is the connection the scripts run on (the lock index reads it directly). */
  readonly client: Redis | Cluster;
  readonly env: ScriptEnv;
  readonly #replication: Replication;
  readonly #prefix: string;
  /** #fns holds each script's ioredis command by script name, looked up once. */
  readonly #fns = new Map<string, ScriptFn>();

  /** constructor registers every script on `client`; BackendUnavailableError when a file is missing. */
  constructor(client: Redis | Cluster, options: { replication?: Replication; env?: ScriptEnv } = {}) {
    this.client = client;
    this.env = options.env ?? {};
    this.#replication = options.replication ?? { replicas: 0, timeoutMs: 0 };
    const { version, sources } = load();
    this.#prefix = `baton_${version}_`;
    for (const [name, lua] of sources) {
      client.defineCommand(`${this.#prefix}${name}`, { lua });
      const fn = (client as unknown as Record<string, ScriptFn>)[`${this.#prefix}${name}`];
      if (fn) this.#fns.set(name, fn);
    }
  }

  /** indexesLocks tells whether the lock scripts write the lock index themselves (env.lockIndex). */
  get indexesLocks(): boolean {
    return this.env.lockIndex !== undefined;
  }

  /**
   * call runs a script with its typed input and resolves to its typed answer. Rejects with the
   * typed error of an error status (checkReply), BackendUnavailableError for connection trouble,
   * NotReplicatedError as the class comment says. `replicate: false` skips the replicas' WAIT
   * for a call that changes nothing (a chunk of coalesced reads).
   */
  call<I, O>(script: Script<I, O>, input: I, { replicate = true } = {}): Promise<O> {
    return this.#run(script, input, replicate, true);
  }

  /**
   * reply runs a script and resolves to its checked reply, undecoded: for the coalesced dict
   * calls (coalesce.ts), whose replies come in parts of dict_each's reply and are decoded by the
   * same `decode` as their own script's.
   */
  reply<I, O>(script: Script<I, O>, input: I, { replicate = true } = {}): Promise<ScriptReply> {
    return this.#run(script, input, replicate, false);
  }

  /**
   * #run is call (`decode`) and reply (not `decode`). They return its promise rather than await
   * it: on a lock cycle's path, each async layer is two more promises per script call.
   */
  async #run<I, O>(script: Script<I, O>, input: I, replicate: boolean, decode: true): Promise<O>;
  async #run<I, O>(script: Script<I, O>, input: I, replicate: boolean, decode: false): Promise<ScriptReply>;
  async #run<I, O>(
    script: Script<I, O>,
    input: I,
    replicate: boolean,
    decode: boolean,
  ): Promise<O | ScriptReply> {
    const callArgs = this.#callArgs(script, input);
    if (replicate && this.#replication.replicas > 0 && script.replicated) {
      const { reply, answer } = await this.#replicated(script, callArgs);
      return decode ? answer : reply;
    }
    const fn = this.#fns.get(script.name);
    if (!fn) throw new BackendUnavailableError(`redis script ${script.name} is not registered`);
    let raw: unknown;
    try {
      raw = await fn.apply(this.client, callArgs);
    } catch (err) {
      throw translateError(err);
    }
    const reply = checkReply(raw, script.name);
    return decode ? script.decode(reply) : reply;
  }

  /** #callArgs is the script's arguments as its command takes them: the KEYS count, KEYS, ARGV. */
  #callArgs<I, O>(script: Script<I, O>, input: I): ScriptArg[] {
    const { keys, args } = script.call(input, this.env);
    const callArgs: ScriptArg[] = [keys.length];
    for (const k of keys) callArgs.push(k);
    for (const a of args) callArgs.push(a);
    return callArgs;
  }

  /**
   * #replicated sends the script and WAIT in one pipeline (see the class comment); it resolves to
   * the checked reply and its answer, decoded once.
   */
  async #replicated<I, O>(
    script: Script<I, O>,
    callArgs: ScriptArg[],
  ): Promise<{ readonly reply: ScriptReply; readonly answer: O }> {
    const { replicas, timeoutMs } = this.#replication;
    const pipeline = this.client.pipeline();
    (pipeline as unknown as Record<string, ScriptFn>)[`${this.#prefix}${script.name}`]!.apply(
      pipeline,
      callArgs,
    );
    pipeline.wait(replicas, timeoutMs);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw translateError(err);
    }
    const [ran, wait] = results ?? [];
    if (!ran || !wait) throw new BackendUnavailableError(`redis ${script.name}: no reply to the pipeline`);
    if (ran[0]) throw translateError(ran[0]);
    const reply = checkReply(ran[1], script.name);
    const answer = script.decode(reply);
    if (!script.replicated?.(answer)) return { reply, answer };
    if (wait[0]) throw translateError(wait[0]);
    const acked = Number(wait[1]);
    if (!(acked >= replicas)) throw new NotReplicatedError(acked, replicas, timeoutMs);
    return { reply, answer };
  }
}
