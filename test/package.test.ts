/**
 * The package as a user gets it: `npm pack` the built tree, install the tarball into a fresh
 * temporary app (from the npm cache that `npm ci` filled, so no network is needed), and run three
 * apps against it — ESM, strict TypeScript (`module: nodenext`) and CommonJS `require` — on
 * memory:// and against a `baton serve` started from the installed package's own `bin`.
 * It also checks what the tarball holds: built code, types, README, LICENSE, CHANGELOG, and no
 * sources, source maps or docs.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  it('holds built code, types, README, LICENSE and CHANGELOG, and nothing else', () => {
    for (const name of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/index.js',
      'dist/index.d.ts',
    ]) {
      expect(files).toContain(name);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('docs/') || f.endsWith('.map'))).toEqual(
      [],
    );
    expect(files.every((f) => /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.*)$/.test(f))).toBe(
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
