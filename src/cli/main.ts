#!/usr/bin/env node
/**
 * The `baton` command. Subcommands live in their own files; this file only wires them to the
 * argument parser (commander) and maps failures to exit codes (exit-codes.ts): a usage or
 * configuration mistake is one `baton: …` line on stderr and exit status 2.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { runDemo } from './demo.js';
import { registerDict } from './dict.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { PROGRAM_HELP, SERVE_HELP } from './help.js';
import { registerLocks } from './locks.js';
import { registerPools } from './pools.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';

const program = new Command()
  .name('baton')
  .description('Fenced distributed locks and safely shared dictionaries for worker fleets.')
  .version(packageVersion(), '-V, --version', 'print the version of baton and exit')
  .enablePositionalOptions()
  .addHelpText('after', PROGRAM_HELP);

registerServe(program);
program.commands.find((c) => c.name() === 'serve')?.addHelpText('after', SERVE_HELP);
registerRun(program);
registerLocks(program);
registerPools(program);
registerDict(program);
program
  .command('demo')
  .description('Run a short tour of the API on the embedded memory backend.')
  .action(async () => {
    await runDemo();
  });

configureTree(program);

// `baton dict watch … | head -1`: a closed pipe ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.OK);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`baton: ${message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = exitCodeFor(err);
  }
}

/** packageVersion reads the version from the package's own package.json (dist/cli → ../../). */
function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/**
 * configureTree makes every command throw instead of exiting, and print a parse error as one
 * line that names the help to read: `baton: unknown option '--tll' (see baton run --help)`.
 */
function configureTree(cmd: Command): void {
  const path: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) path.unshift(c.name());
  cmd.exitOverride();
  cmd.configureOutput({
    outputError: (text, write) => {
      const line = text
        .replace(/^error: /, '')
        .replace(/\s*\n\s*/g, ' ')
        .trim();
      write(`baton: ${line} (see ${path.join(' ')} --help)\n`);
    },
  });
  for (const sub of cmd.commands) configureTree(sub);
}
