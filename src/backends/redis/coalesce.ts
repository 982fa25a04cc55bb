/**
 * Coalescer: the dict calls one client makes at the same time share script calls, and so round
 * trips and Redis' per-script cost (issue 21).
 *
 * Unfenced `get`, `set`, `delete` and `incr` are queued instead of sent; the queue is sent on the
 * next `process.nextTick` (after the promise jobs of the current turn have run, so every caller a
 * reply batch woke up has queued its next call), or as soon as it holds `coalesce` calls. A send
 * groups the queue by dict, keeping each dict's calls in the order they were made, and cuts each
 * group into chunks of at most `coalesce` calls and about 1 MiB of values: a chunk of one goes to
 * that call's own script (dict_get, dict_write, dict_incr: a lone caller sees no change), a longer
 * chunk to
 * `dict_each.lua`, which applies the calls one by one, each as its own script would, each with its
 * own version and reply.
 *
 * What every call keeps: it is atomic (one script runs it, and no other command runs in between);
 * a client's calls on one dict reach Redis in the order they were made (the chunks of a dict are
 * sent in order on the one connection that serves its slot, and `flush()` is called before any
 * call that is not queued, so a `pop` or a fenced write made after a queued `set` still runs after
 * it); and its own outcome: a conflict, type mismatch or overflow is that call's typed error, and
 * a Redis error raised inside one call (caught by pcall in the script) fails that call only, with
 * BackendUnavailableError. Only a failure of the whole script call (connection lost, timeout) fails
 * every call of the chunk, each with its own BackendUnavailableError, as each would have failed
 * alone.
 *
 * Fenced writes, `batch`, `setIfAbsent`, `pop`, `list`, `clear` and the state reads are not
 * queued: they are rarer and carry per-call keys (a fence's lock keys) that a shared call could
 * not.
 */
import { BackendUnavailableError } from '../../errors.js';
import { checkReply, type ScriptReply, translateError } from './errors.js';

/** CallKind is a queued call's kind, as dict_each.lua names it. */
export type CallKind = 'g' | 's' | 'd' | 'i';

/** Call is one queued dict call: dict_each.lua's five arguments and the caller's promise. */
export interface Call {
  readonly dict: string;
  readonly kind: CallKind;
  readonly key: string;
  /** ifVersion is '' for none. */
  readonly ifVersion: number | '';
  /** ttlMs is '' for none. */
  readonly ttlMs: number | '';
  /** value is the JSON text of a set, the amount of an incr, '' otherwise. */
  readonly value: string;
  resolve(reply: ScriptReply): void;
  reject(err: unknown): void;
}

/** CoalescerDeps are what a Coalescer sends with. */
export interface CoalescerDeps {
  /** max is the most calls one script call carries (the `coalesce` URL option). */
  readonly max: number;
  /** alone sends one call by its own script and resolves to its checked reply. */
  alone(call: Call): Promise<ScriptReply>;
  /** together sends several calls on one dict by dict_each.lua and resolves to its raw reply. */
  together(dict: string, calls: readonly Call[]): Promise<unknown>;
}

/**
 * CHUNK_CHARS caps the value text one shared script call carries (a call with a larger value goes
 * alone), so `coalesce` × the largest value never makes one huge request: about 1 MiB.
 */
const CHUNK_CHARS = 1 << 20;

/** SCRIPT_OF names, for messages, the script each kind of call stands for. */
const SCRIPT_OF: Record<CallKind, string> = { g: 'dictGet', s: 'dictWrite', d: 'dictWrite', i: 'dictIncr' };

/** Coalescer queues one client's dict calls and sends them in shared script calls. */
export class Coalescer {
  readonly #deps: CoalescerDeps;
  #queue: Call[] = [];
  #scheduled = false;

  constructor(deps: CoalescerDeps) {
    this.#deps = deps;
  }

  /** run queues a call and resolves to its checked reply (or rejects with its typed error). */
  run(call: Omit<Call, 'resolve' | 'reject'>): Promise<ScriptReply> {
    return new Promise<ScriptReply>((resolve, reject) => {
      this.#queue.push({ ...call, resolve, reject });
      if (this.#queue.length >= this.#deps.max) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(() => this.flush());
      }
    });
  }

  /** flush sends every queued call now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const queue = this.#queue;
    this.#queue = [];
    const byDict = new Map<string, Call[]>();
    for (const call of queue) {
      const list = byDict.get(call.dict);
      if (list) list.push(call);
      else byDict.set(call.dict, [call]);
    }
    for (const [dict, calls] of byDict) {
      let chunk: Call[] = [];
      let chars = 0;
      for (const call of calls) {
        const full = chunk.length === this.#deps.max || chars + call.value.length > CHUNK_CHARS;
        if (chunk.length > 0 && full) {
          this.#send(dict, chunk);
          chunk = [];
          chars = 0;
        }
        chunk.push(call);
        chars += call.value.length;
      }
      this.#send(dict, chunk);
    }
  }

  #send(dict: string, calls: readonly Call[]): void {
    if (calls.length === 1) {
      const call = calls[0]!;
      this.#deps.alone(call).then(call.resolve, call.reject);
      return;
    }
    this.#deps.together(dict, calls).then(
      (reply) => settleEach(calls, reply),
      (err: unknown) => {
        const cause = translateError(err);
        for (const call of calls) call.reject(new BackendUnavailableError(cause.message, { cause: err }));
      },
    );
  }
}

/** settleEach hands each call its own part of dict_each.lua's reply `{'ok', reply1, …}`. */
function settleEach(calls: readonly Call[], reply: unknown): void {
  const parts = Array.isArray(reply) && reply[0] === 'ok' ? reply.slice(1) : [];
  calls.forEach((call, i) => {
    const part: unknown = parts[i];
    try {
      if (part === undefined) {
        throw new BackendUnavailableError(`redis dictEach: unexpected script reply ${JSON.stringify(reply)}`);
      }
      if (Array.isArray(part) && part[0] === 'error') {
        throw new BackendUnavailableError(
          `redis ${SCRIPT_OF[call.kind]} failed in Redis: ${String(part[1])}`,
        );
      }
      call.resolve(checkReply(part, SCRIPT_OF[call.kind]));
    } catch (err) {
      call.reject(err);
    }
  });
}
