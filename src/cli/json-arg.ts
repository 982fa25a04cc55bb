/**
 * readJsonArg: the JSON value argument of `baton dict set`, given inline or as `-` (read all of
 * stdin). A value is JSON, so a string needs its quotes: `'"text"'`.
 *
 * How it fails: CliError with EXIT.USAGE naming what is wrong, when the text is not JSON.
 */
import { text } from 'node:stream/consumers';
import { CliError, EXIT } from './exit-codes.js';

/** readJsonArg parses `arg` (or stdin when it is `-`) as JSON. */
export async function readJsonArg(arg: string): Promise<unknown> {
  const source = arg === '-' ? await text(process.stdin) : arg;
  try {
    return JSON.parse(source);
  } catch (err) {
    const where = arg === '-' ? 'stdin' : JSON.stringify(arg.length > 40 ? `${arg.slice(0, 40)}…` : arg);
    const hint = /^[\s"[{\d-]|^(true|false|null)$/.test(source.trim())
      ? ''
      : ` (a string needs JSON quotes: '"${source.trim().slice(0, 20)}"')`;
    throw new CliError(EXIT.USAGE, `the value ${where} is not JSON: ${(err as Error).message}${hint}`);
  }
}
