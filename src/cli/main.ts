#!/usr/bin/env node
/**
 * The `baton` command. Subcommands live in their own files; this file only wires them to the
 * argument parser (commander) and maps failures to exit codes (exit-codes.ts): a usage or
 * configuration mistake is one `baton: …` line on stderr and exit status 2.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { PROGRAM_HELP, SERVE_HELP } from './help.js';

/** Subcommand is a module's command names and how to load the function that registers them. */
interface Subcommand {
  readonly names: readonly string[];
  readonly load: () => Promise<(program: Command) => void>;
}

/**
 * SUBCOMMANDS lists, in help order, each subcommand module with the command names it adds. A
 * module is imported only when its command runs (or for the full `baton --help`), so `baton dict
 * get` never loads the server (express, pino, prom-client) nor `baton run`'s supervisor.
 */
const SUBCOMMANDS: readonly Subcommand[] = [
  {
    names: ['serve'],
    load: async () => {
      const { registerServe } = await import('./serve.js');
      return (program) => {
        registerServe(program);
        program.commands.find((c) => c.name() === 'serve')?.addHelpText('after', SERVE_HELP);
      };
    },
  },
  { names: ['run'], load: async () => (await import('./run.js')).registerRun },
  { names: ['locks', 'lock'], load: async () => (await import('./locks.js')).registerLocks },
  {
    names: ['semaphores', 'semaphore', 'rwlocks', 'rwlock'],
    load: async () => (await import('./pools.js')).registerPools,
  },
  { names: ['dict'], load: async () => (await import('./dict.js')).registerDict },
  { names: ['demo'], load: async () => registerDemo },
];

const program = new Command()
  .name('baton')
  .description('Fenced distributed locks and safely shared dictionaries for worker fleets.')
  .version(packageVersion(), '-V, --version', 'print the version of baton and exit')
  .enablePositionalOptions()
  .addHelpText('after', PROGRAM_HELP);

// Root options (-h, -V) take no value, so a subcommand, if any, is the first argument; anything
// else (no argument, --help, `help dict`, a typo to suggest a fix for) needs every command.
const named = SUBCOMMANDS.filter((s) => s.names.includes(process.argv[2] ?? ''));
for (const sub of named.length > 0 ? named : SUBCOMMANDS) (await sub.load())(program);

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

/** registerDemo adds `baton demo`. */
function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run a short tour of the API on the embedded memory backend.')
    .action(async () => {
      const { runDemo } = await import('./demo.js');
      await runDemo();
    });
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
