/**
 * Cold start (issue 16): what a process loads, not how fast (speed is never asserted). A `baton
 * dict get` on an http:// server loads neither the server (express, pino, prom-client, zod) nor
 * another backend's client (ioredis, etcd3 with grpc) nor an HTTP library (undici); `baton --help` loads no backend; a library
 * user of memory:// loads no Redis or etcd client. fixtures/record-modules.mjs lists the files a
 * process loads; dist/ is an esbuild bundle (scripts/build.mjs), so each loaded file of dist/ is
 * read back through the build's dist/meta.json as the source modules and bundled packages it holds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/support/server.js';
import { cli, MAIN, uniqueName } from './support.js';

const RECORDER = fileURLToPath(new URL('./fixtures/record-modules.mjs', import.meta.url));
const DIST = pathToFileURL(fileURLToPath(new URL('../../dist/', import.meta.url))).href;
const META = fileURLToPath(new URL('../../dist/meta.json', import.meta.url));
/** Meta is the part of esbuild's metafile read here: each output file's inputs. */
interface Meta {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}
let meta: Meta | undefined;

/** The packages and modules a CLI client call or a memory:// user must not load. */
const SERVER = ['express', 'pino', 'prom-client', 'zod'];
const CLIENTS = ['ioredis', 'etcd3', '@grpc/grpc-js', 'protobufjs'];
/** The http:// client speaks node:http itself: undici alone was 112 of 156 modules at start. */
const HTTP_LIBRARIES = ['undici'];

let s: TestServer;
let dir: string;
let n = 0;
beforeAll(async () => {
  s = await startTestServer('memory://cold-start', { logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'baton-cold-'));
});
afterAll(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** loaded runs `node --import record-modules.mjs …nodeArgs` and returns its exit code and module URLs. */
async function loaded(nodeArgs: string[], env: Record<string, string> = {}) {
  const file = join(dir, `modules-${++n}.txt`);
  const r = await cli(
    ['--import', RECORDER, ...nodeArgs],
    { ...env, RECORD_MODULES: file },
    {
      shell: process.execPath,
    },
  );
  const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const inputs = [...new Set(urls.filter((u) => u.startsWith(DIST)))].flatMap((u) =>
    bundled(u.slice(DIST.length)),
  );
  const packages = new Set(
    [...urls, ...inputs].flatMap((u) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []),
  );
  // A module of ours by the name tsc would give it: src/backends/http/index.ts → backends/http/index.js.
  const ours = new Set(inputs.flatMap((i) => /^src\/(.+)\.ts$/.exec(i)?.[1] ?? []).map((m) => `${m}.js`));
  return { ...r, packages, ours };
}

/** bundled lists the inputs (src/… and …/node_modules/… paths) whose code is in the output file dist/`out`. */
function bundled(out: string): string[] {
  meta ??= JSON.parse(readFileSync(META, 'utf8')) as Meta;
  const output = meta.outputs[`dist/${out}`];
  if (!output)
    throw new Error(`dist/${out} was loaded but is not in dist/meta.json: rebuild (npm run build)`);
  return Object.entries(output.inputs)
    .filter(([, i]) => i.bytesInOutput > 0)
    .map(([path]) => path);
}

describe('what a process loads', () => {
  it('baton dict get on http:// loads the http backend only: no server, no Redis or etcd client, no undici', async () => {
    const d = uniqueName('cold');
    await s.baton.dict(d).set('k', 'v');
    const r = await loaded([MAIN, 'dict', 'get', d, 'k'], { BATON_URL: s.url });
    expect(r).toMatchObject({ code: 0, stdout: '"v"\n' });
    // The recorder sees what it should (else the checks below could not fail).
    expect(r.ours).toContain('backends/http/index.js');
    expect(r.packages).toContain('commander');
    for (const p of [...SERVER, ...CLIENTS, ...HTTP_LIBRARIES]) expect(r.packages, p).not.toContain(p);
    expect([...r.ours].filter((m) => m.startsWith('server/') || m.startsWith('backends/memory/'))).toEqual(
      [],
    );
    expect([...r.ours].filter((m) => /^cli\/(serve|run|supervise|locks|pools|demo)\.js$/.test(m))).toEqual(
      [],
    );
  });

  it('baton --help loads no backend and no server', async () => {
    const r = await loaded([MAIN, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dict');
    expect(r.ours).toContain('cli/main.js');
    for (const p of [...SERVER, ...CLIENTS]) expect(r.packages, p).not.toContain(p);
    expect([...r.ours].filter((m) => m.startsWith('server/') || m.startsWith('backends/'))).toEqual([]);
  });

  it('a library user of memory:// loads no Redis or etcd client and no server', async () => {
    const program = `import { connect } from ${JSON.stringify(`${DIST}index.js`)};
      const baton = await connect('memory://');
      await baton.dict('d').set('k', 1);
      console.log(await baton.dict('d').get('k'));
      await baton.close();`;
    const r = await loaded(['--input-type=module', '-e', program]);
    expect(r).toMatchObject({ code: 0, stdout: '1\n' });
    expect(r.ours).toContain('backends/memory/index.js');
    for (const p of [...SERVER, ...CLIENTS]) expect(r.packages, p).not.toContain(p);
    expect(
      [...r.ours].filter((m) => m.startsWith('server/') || /^backends\/(redis|etcd|redlock|http)\//.test(m)),
    ).toEqual([]);
  });
});
