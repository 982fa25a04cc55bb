/**
 * The package as a user gets it: `npm pack` the built tree, install the tarball into a fresh
 * temporary app (from the npm cache that `npm ci` filled, so no network is needed), and run three
 * apps against it — ESM, strict TypeScript (`module: nodenext`) and CommonJS `require` — on
 * memory:// and against a `baton serve` started from the installed package's own `bin`.
 * It also checks what the tarball holds: built code, types, README, LICENSE, CHANGELOG, the
 * licences of the bundled packages, and no sources, source maps or docs; that the plain install is
 * baton alone (its dependencies are bundled into dist/ by scripts/build.mjs, and ioredis, etcd3 and
 * gRPC are optional peers), that a Redis or etcd URL there fails with the `npm install` that fixes
 * it, and that the same app works on Redis once `ioredis` is installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from './support/ports.js';
import { makeTempDir, type ServerProcess, spawnServer } from './support/processes.js';
import { waitForServer } from './support/wait.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM_TIMEOUT_MS = 240_000;

/** The app each module system runs: lock, fenced write, read back; prints one JSON line. */
const BODY = `
const baton = await connect(process.env.BATON_URL);
try {
  const lease = await baton.lock('pkg-test-lock', { ttlMs: 10000 }).acquire();
  const d = baton.dict('pkg-test');
  await d.set('k', { n: lease.fence }, { fence: lease });
  await lease.release();
  console.log(JSON.stringify({ ok: true, value: await d.get('k') }));
} finally {
  await baton.close();
}`;

const ESM = `import { connect } from 'baton';\n${BODY}\n`;
const TS = `import { connect, type Lease } from 'baton';
const typed: Lease | undefined = undefined;
void typed;
${BODY}
`;
const CJS = `const { connect } = require('baton');
(async () => {${BODY}
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** Connects to each URL on the command line; prints what connect() threw for each (or "connected"). */
const PEER_ERRORS = `import { connect } from 'baton';
const out = {};
for (const url of process.argv.slice(2)) {
  try {
    await (await connect(url)).close();
    out[url] = 'connected';
  } catch (err) {
    out[url] = { name: err.name, code: err.code, message: err.message };
  }
}
console.log(JSON.stringify(out));
`;

let app = '';
let tarball = '';
let files: string[] = [];
let server: ServerProcess | undefined;
let serverUrl = '';
let compiled: Promise<unknown> | undefined;

beforeAll(
  async () => {
    app = await makeTempDir('baton-pkg-');
    // dist/ is built by `npm test` before vitest runs; --ignore-scripts skips `prepare` (a rebuild).
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', app], {
      cwd: ROOT,
      timeout: NPM_TIMEOUT_MS,
    });
    const packed = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(app, packed[0]?.filename ?? '');
    files = (packed[0]?.files ?? []).map((f) => f.path);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pkg-test-app', private: true }));
    const typesNode = JSON.parse(
      readFileSync(join(ROOT, 'node_modules/@types/node/package.json'), 'utf8'),
    ) as {
      version: string;
    };
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `@types/node@${typesNode.version}`],
      { cwd: app, timeout: NPM_TIMEOUT_MS },
    );
    writeFileSync(join(app, 'esm.mjs'), ESM);
    writeFileSync(join(app, 'peer-errors.mjs'), PEER_ERRORS);
    writeFileSync(join(app, 'cjs.cjs'), CJS);
    writeFileSync(join(app, 'app.mts'), TS);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: false,
          outDir: 'out',
          types: ['node'],
        },
        files: ['app.mts'],
      }),
    );
    const port = await freePort();
    server = await spawnServer(join(app, 'node_modules/.bin/baton'), [
      'serve',
      '--port',
      String(port),
      '--log-level',
      'warn',
    ]);
    serverUrl = `http://127.0.0.1:${port}`;
    await waitForServer(server, async () => (await fetch(`${serverUrl}/healthz`)).ok, {
      what: 'baton serve from the installed package',
      timeoutMs: 30_000,
    });
  },
  NPM_TIMEOUT_MS * 2 + 60_000,
);

afterAll(async () => {
  await server?.stop('SIGTERM');
});

describe('the packed tarball', () => {
  it('holds built code, types, the Redis Lua scripts, README, LICENSE and CHANGELOG, and nothing else', () => {
    for (const name of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/THIRD-PARTY-NOTICES.txt',
    ]) {
      expect(files).toContain(name);
    }
    // The Redis and Redlock backends read their Lua scripts from src/backends/*/scripts/ at run time.
    expect(files).toContain('src/backends/redis/scripts/lock_acquire.lua');
    expect(files).toContain('src/backends/redlock/scripts/redlock_acquire.lua');
    const code = files.filter((f) => !/^src\/backends\/[a-z]+\/scripts\/[a-z_]+\.lua$/.test(f));
    expect(code.filter((f) => f.startsWith('src/') || f.startsWith('docs/') || f.endsWith('.map'))).toEqual(
      [],
    );
    expect(code.every((f) => /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.*)$/.test(f))).toBe(
      true,
    );
  });
});

describe.each([
  ['memory://', () => 'memory://'],
  ['a baton server', () => serverUrl],
])('an app installed from the tarball, on %s', (_label, url) => {
  const expected = { ok: true, value: { n: expect.any(Number) } };

  it('ESM import works', { timeout: 60_000 }, async () => {
    const { stdout } = await run(process.execPath, ['esm.mjs'], {
      cwd: app,
      env: { ...process.env, BATON_URL: url() },
    });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('CommonJS require works', { timeout: 60_000 }, async () => {
    const { stdout } = await run(process.execPath, ['cjs.cjs'], {
      cwd: app,
      env: { ...process.env, BATON_URL: url() },
    });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('strict TypeScript (nodenext) compiles and runs', { timeout: 120_000 }, async () => {
    // One compile serves both targets; the first test to need it waits for it.
    compiled ??= run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      {
        cwd: app,
      },
    );
    await compiled;
    const { stdout } = await run(process.execPath, ['out/app.mjs'], {
      cwd: app,
      env: { ...process.env, BATON_URL: url() },
    });
    expect(JSON.parse(stdout)).toEqual(expected);
  });
});

describe('backend client libraries are optional peers', () => {
  it('a plain install is baton alone: its dependencies are bundled, with their licences', () => {
    const installed = readdirSync(join(app, 'node_modules')).flatMap((name) =>
      name.startsWith('@')
        ? readdirSync(join(app, 'node_modules', name)).map((sub) => `${name}/${sub}`)
        : name.startsWith('.')
          ? []
          : [name],
    );
    // The app itself installed @types/node (and so its one dependency) for the TypeScript test.
    expect(installed.sort()).toEqual(['@types/node', 'baton', 'undici-types']);
    const notices = readFileSync(join(app, 'node_modules/baton/dist/THIRD-PARTY-NOTICES.txt'), 'utf8');
    for (const name of ['commander', 'express', 'pino', 'prom-client', 'zod']) {
      expect(notices, name).toMatch(new RegExp(`^- ${name}@\\d+\\.\\d+\\.\\d+ \\(`, 'm'));
    }
    expect(notices).toContain('Permission is hereby granted, free of charge');
  });

  it('a plain install holds no ioredis, etcd3 or gRPC', () => {
    for (const name of ['ioredis', 'etcd3', '@grpc/grpc-js', '@grpc/proto-loader']) {
      expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
    }
  });

  it('a Redis or etcd URL without its client fails with the install that fixes it', {
    timeout: 60_000,
  }, async () => {
    const urls = [
      inject('redisUrl'),
      'redis+sentinel://127.0.0.1:1/mymaster',
      'redis+cluster://127.0.0.1:1',
      'redlock://127.0.0.1:1',
      inject('etcdUrl'),
    ];
    const { stdout } = await run(process.execPath, ['peer-errors.mjs', ...urls], { cwd: app });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    const needs = (scheme: string, pkg: string) => ({
      name: 'UnsupportedError',
      code: 'unsupported',
      message: `${scheme}// needs the ${pkg} package: npm install ${pkg}`,
    });
    expect(out).toEqual({
      [urls[0] as string]: needs('redis:', 'ioredis'),
      [urls[1] as string]: needs('redis+sentinel:', 'ioredis'),
      [urls[2] as string]: needs('redis+cluster:', 'ioredis'),
      [urls[3] as string]: needs('redlock:', 'ioredis'),
      [urls[4] as string]: needs('etcd:', 'etcd3'),
    });
  });

  // Runs after the tests above (vitest runs a file's tests in order): it adds ioredis to the app.
  it('with ioredis installed, the same app works on Redis', {
    timeout: NPM_TIMEOUT_MS + 60_000,
  }, async () => {
    const ioredis = JSON.parse(readFileSync(join(ROOT, 'node_modules/ioredis/package.json'), 'utf8')) as {
      version: string;
    };
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', `ioredis@${ioredis.version}`],
      {
        cwd: app,
        timeout: NPM_TIMEOUT_MS,
      },
    );
    expect(existsSync(join(app, 'node_modules/etcd3'))).toBe(false);
    const url = `${inject('redisUrl')}?prefix=pkg-test-${process.pid}`;
    const { stdout } = await run(process.execPath, ['esm.mjs'], {
      cwd: app,
      env: { ...process.env, BATON_URL: url },
    });
    expect(JSON.parse(stdout)).toEqual({ ok: true, value: { n: expect.any(Number) } });
  });
});
