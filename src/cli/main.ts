#!/usr/bin/env node
/**
 * The `baton` command. Subcommands live in their own files; this file only wires them to the
 * argument parser (commander) and maps failures to exit codes: 2 for a usage or configuration
 * mistake (one line on stderr), 1 for anything else.
 */
import { Command, CommanderError } from 'commander';
import { isBatonError } from '../errors.js';
import { runDemo } from './demo.js';
import { registerServe } from './serve.js';

const program = new Command()
  .name('baton')
  .description('Fenced distributed locks and safely shared dictionaries for worker fleets.')
  .exitOverride()
  .showHelpAfterError();

program
  .command('demo')
  .description('Run a short tour of the API on the embedded memory backend.')
  .action(async () => {
    await runDemo();
  });

registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (isBatonError(err) && err.code === 'invalid_argument') {
    console.error(`baton: ${err.message}`);
    process.exitCode = 2;
  } else {
    console.error(`baton: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
