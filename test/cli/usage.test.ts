/**
 * The CLI's front door: help with examples for every command, and every usage or configuration
 * mistake answered with exactly one `baton: …` line on stderr and exit status 2, before anything
 * touches a backend.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './support.js';

const MEM = ['--backend', 'memory://'];

describe('baton help', () => {
  it('baton --help lists the commands, environment and exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const word of [
      'serve',
      'run',
      'locks',
      'lock',
      'dict',
      'BATON_URL',
      'Exit codes:',
      '75',
      '69',
      'a bare number is seconds',
    ]) {
      expect(r.stdout).toContain(word);
    }
  });

  it.each([['-V'], ['--version']])('baton %s prints the package version and exits 0', async (flag) => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const r = await cli([flag]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it.each(
    [
      'serve',
      'run',
      'locks',
      'lock inspect',
      'dict get',
      'dict set',
      'dict delete',
      'dict incr',
      'dict list',
      'dict watch',
    ].map((c) => [c]),
  )('baton %s --help shows examples', async (command) => {
    const r = await cli([...command.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ \S/);
  });
});

describe('usage and configuration mistakes: one line on stderr, exit 2', () => {
  it.each([
    [
      ['run', '--lock', 'x', '--ttl', '10x', '--', 'true'],
      /argument '10x' is invalid\. "10x" is not a duration: a bare number is seconds/,
    ],
    [['run', '--lock', 'x', '--ttl', '0', '--', 'true'], /out of range/],
    [['run', '--lock', 'x', '-w', '-1', '--', 'true'], /"-1" is negative/],
    [['dict', 'set', 'd', 'k', '1', '--ttl', '2147484', ...MEM], /"2147484" is out of range/],
    [['serve', '--shutdown-ms', '1.5'], /"1\.5" is not a whole number of milliseconds/],
    [['run', '--lock', 'x', '--tll', '3s', '--', 'true'], /unknown option '--tll'.*Did you mean --ttl\?/],
    [['run', '--', 'true'], /say what to hold: --lock NAME, --semaphore NAME --permits N, or --rwlock/],
    [['run', '--lock', 'x'], /missing required argument 'command'/],
    [['run', '--lock', 'bad name', ...MEM, '--', 'true'], /lock name must be 1-200 characters/],
    [['run', '--semaphore', 's', '--', 'true'], /--semaphore needs --permits N/],
    [
      ['run', '--lock', 'a', '--semaphore', 'b', '--permits', '2', '--', 'true'],
      /give one of --lock, --semaphore, not several/,
    ],
    [['run', '--lock', 'a', '--permits', '2', '--', 'true'], /--permits and --count go with --semaphore/],
    [['run', '--lock', 'a', '--write', '--', 'true'], /--read and --write go with --rwlock/],
    [['run', '--rwlock', 'r', '--', 'true'], /--rwlock needs exactly one of --read or --write/],
    [
      ['run', '--rwlock', 'r', '--read', '--write', '--', 'true'],
      /--rwlock needs exactly one of --read or --write/,
    ],
    [
      ['run', '--semaphore', 's', '--permits', '0', '--', 'true'],
      /--permits <n>.*must be an integer from 1 to 1048576/,
    ],
    [
      ['run', '--semaphore', 's', '--permits', '2', '--count', '3', ...MEM, '--', 'true'],
      /count 3 exceeds the semaphore's 2 permits/,
    ],
    [
      ['run', '--semaphore', 'bad name', '--permits', '2', ...MEM, '--', 'true'],
      /semaphore name must be 1-200/,
    ],
    [['locks', '--backend', 'nope'], /not a backend URL: "nope"/],
    [['locks', '--backend', 'gopher://x'], /gopher/],
    [['dict', 'set', 'd', 'k', 'hello', ...MEM], /is not JSON.*a string needs JSON quotes: '"hello"'/],
    [
      ['dict', 'set', 'd', 'k', '1', '--if-version', '-1', ...MEM],
      /--if-version <n>.*must be an integer from 0/,
    ],
    [['dict', 'set', 'd', 'k', '1', '--fence', 'nolock', ...MEM], /must be LOCK:FENCE/],
    [['dict', 'get', 'bad/name', 'k', ...MEM], /dict name must be/],
    [['dict', 'incr', 'd', 'k', 'x', ...MEM], /must be a number/],
    [['dict', 'frobnicate'], /unknown command 'frobnicate'/],
    [['serve', '--port', '99999'], /must be an integer from 0 to 65535/],
  ])('baton %j', async (args, message) => {
    const r = await cli(args);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^baton: /);
    expect(lines[0]).toMatch(message);
  });

  it('a duration in a BATON_*_MS variable is checked like its flag (a bare number is ms there)', async () => {
    const r = await cli(['serve', '--port', '0'], { BATON_SHUTDOWN_MS: 'NaN' });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^baton: .*"NaN" is not a duration: a bare number is milliseconds here.*\n$/);
  });

  it('says once why memory:// is rarely what a CLI user wants, when it was not chosen', async () => {
    const r = await cli(['locks']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^baton: memory:\/\/ lives inside one process.*BATON_URL/);
    expect((await cli(['locks', ...MEM])).stderr).toBe('');
    expect(await cli(['run', '--lock', 'x', '-q', '--', 'true'])).toMatchObject({ code: 0, stderr: '' });
  });

  it('an unreachable server is exit 69 with one line that says what to check', async () => {
    const r = await cli(['locks', '--backend', 'http://127.0.0.1:1']);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(
      /^baton: cannot reach baton server http:\/\/127\.0\.0\.1:1: .*is `baton serve` running there\?\)\n$/,
    );
  });
});
