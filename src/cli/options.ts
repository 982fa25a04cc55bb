/**
 * What the client subcommands share: the `--backend` option (env BATON_URL), argument parsers
 * that turn a bad value into a one-line usage error, opening a client, and JSON-lines output.
 *
 * How it fails: the parsers throw commander's InvalidArgumentError (the CLI exits 2 with one
 * line); `withBaton` rejects with what `connect()` rejects with (InvalidArgumentError for a bad
 * URL, BackendUnavailableError when the backend is unreachable) and always closes the client.
 */
import { type Command, Option, InvalidArgumentError as UsageError } from 'commander';
import type { Baton } from '../baton.js';
import { BackendUnavailableError } from '../errors.js';

/** MEMORY_NOTE explains why memory:// is rarely what a CLI user wants. */
export const MEMORY_NOTE =
  'memory:// lives inside one process, so another baton command never sees it: point --backend or BATON_URL at a shared store, such as http://127.0.0.1:7070 (a `baton serve`) or redis://host:6379';

/** backendOption is `--backend <url>` with env BATON_URL, default memory://. */
export function backendOption(): Option {
  return new Option(
    '--backend <url>',
    'backend: http://host:7070 (a baton serve), redis://…, etcd://…; memory:// is this process only',
  )
    .env('BATON_URL')
    .default('memory://');
}

/** intArg parses an integer flag or argument from `min` to `max`. */
export function intArg(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new UsageError(`must be an integer from ${min} to ${max} (got "${text}")`);
    }
    return Number(text);
  };
}

/** numberArg parses a finite number (for `dict incr … BY`). */
export function numberArg(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`must be a number (got "${text}")`);
  return n;
}

/** fenceArg parses `--fence LOCK:N` (as in "$BATON_LOCK:$BATON_FENCE" inside `baton run`). */
export function fenceArg(text: string): { lock: string; fence: number } {
  const at = text.lastIndexOf(':');
  const fence = Number(text.slice(at + 1));
  if (at < 1 || !Number.isSafeInteger(fence) || fence < 1) {
    throw new UsageError(`must be LOCK:FENCE, such as "$BATON_LOCK:$BATON_FENCE" (got "${text}")`);
  }
  return { lock: text.slice(0, at), fence };
}

/**
 * withBaton connects to the command's `--backend`, runs `fn`, and closes the client. When the
 * backend is memory:// by default (not chosen), it first says on stderr why that is rarely useful
 * (unless the command has `--quiet` and it was given).
 */
export async function withBaton<R>(cmd: Command, fn: (baton: Baton) => Promise<R>): Promise<R> {
  const url = String(cmd.opts().backend);
  if (cmd.getOptionValueSource('backend') === 'default' && !cmd.opts().quiet) note(MEMORY_NOTE);
  let baton: Baton;
  try {
    // Loaded here, not at the top, so that `baton --help` and usage errors load no backend code.
    const { connect } = await import('../connect.js');
    baton = await connect(url);
  } catch (err) {
    if (err instanceof BackendUnavailableError && /^https?:/.test(url)) {
      throw new BackendUnavailableError(`${err.message} (is \`baton serve\` running there?)`, { cause: err });
    }
    throw err;
  }
  try {
    return await fn(baton);
  } finally {
    await baton.close();
  }
}

/** note writes one `baton: …` line on stderr. */
export function note(message: string): void {
  process.stderr.write(`baton: ${message}\n`);
}

/** printJson writes one JSON line on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
