#!/usr/bin/env node
// build: builds dist/ as it is published (issue 16: a small install and a fast `baton` start).
//  1. tsc (tsconfig.build.json) type-checks src/ and writes the declarations only; the ones
//     dist/index.d.ts does not reach (the CLI's, the server's) are removed, so a user's compiler
//     never meets a type from a package baton no longer installs.
//  2. esbuild bundles the two entry points, dist/index.js (the library) and dist/cli/main.js (the
//     `baton` command), with their dependencies (commander, express, pino, prom-client, zod, …)
//     into ES modules, split at every dynamic import into dist/chunks/: a backend, the server or a
//     subcommand is still loaded only when used, and a user installs no dependency but the
//     optional peers (ioredis, etcd3), which stay external so that a missing one still fails with
//     "Cannot find package 'ioredis'" (src/backends/registry.ts turns that into the npm install).
//  3. dist/THIRD-PARTY-NOTICES.txt: the name, version, licence and licence text of every package
//     bundled, from esbuild's list of inputs (dist/meta.json, which test/cli/cold-start.test.ts
//     also reads to tell which modules a chunk holds; it is not packed).
// Code that finds files next to itself (`new URL('../../package.json', import.meta.url)`, the
// Lua scripts, the dashboard) is written against tsc's layout (src/x/y.ts → dist/x/y.js); the
// bundle keeps that meaning by giving each such module the URL its file would have had there.
// Fails with tsc's or esbuild's own errors, or naming a bundled package with no licence text.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
/** PEERS are the optional peer dependencies: never bundled, resolved from the user's install. */
const PEERS = ['ioredis', 'etcd3'];
/** DIST_ROOT stands, in the bundle, for the path from an output file back to dist/ (see relocate). */
const DIST_ROOT = '"__BATON_DIST_ROOT__"';

rmSync(dist, { recursive: true, force: true });
declarations();
const meta = await bundle();
writeFileSync(join(dist, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
writeFileSync(join(dist, 'THIRD-PARTY-NOTICES.txt'), notices(meta));

/** declarations runs tsc for the .d.ts files and keeps those that dist/index.d.ts reaches. */
function declarations() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly', '--sourceMap', 'false'],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) {
    console.error('build: tsc -p tsconfig.build.json failed');
    process.exit(r.status ?? 1);
  }
  const keep = new Set();
  const visit = (file) => {
    if (keep.has(file)) return;
    if (!existsSync(file))
      throw new Error(`build: ${relative(root, file)} is referenced but was not emitted`);
    keep.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      visit(join(dirname(file), (m[1] ?? '').replace(/\.js$/, '.d.ts')));
    }
  };
  visit(join(dist, 'index.d.ts'));
  for (const file of walk(dist)) if (file.endsWith('.d.ts') && !keep.has(file)) rmSync(file);
  removeEmptyDirs(dist);
}

/** bundle runs esbuild and writes the output files; resolves to esbuild's metafile. */
async function bundle() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
    outdir: dist,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: PEERS,
    // BatonError's `name` is its class's name; a bundle may rename a class whose name collides.
    keepNames: true,
    metafile: true,
    write: false,
    logLevel: 'warning',
    plugins: [relocate()],
  });
  for (const out of result.outputFiles) {
    const toRoot = relative(dirname(out.path), dist).split(sep).join('/');
    let text = out.text.replaceAll(DIST_ROOT, JSON.stringify(toRoot === '' ? './' : `${toRoot}/`));
    // A bundled CommonJS package's require() of a Node built-in goes through esbuild's __require,
    // which needs a real `require` in an ES module.
    if (text.includes('typeof require !== "undefined"')) {
      const shim =
        'import { createRequire as __batonCreateRequire } from "node:module";\n' +
        'const require = __batonCreateRequire(import.meta.url);\n';
      const shebang = text.startsWith('#!') ? text.indexOf('\n') + 1 : 0;
      text = text.slice(0, shebang) + shim + text.slice(shebang);
    }
    mkdirSync(dirname(out.path), { recursive: true });
    writeFileSync(out.path, text);
  }
  chmodSync(join(dist, 'cli', 'main.js'), 0o755);
  return result.metafile;
}

/**
 * relocate gives each module of src/ that reads `import.meta.url` the URL of the file tsc would
 * have written for it (src/server/app.ts → dist/server/app.js), computed from wherever its code
 * lands in the bundle; `bundle` replaces DIST_ROOT with that output file's path back to dist/.
 */
function relocate() {
  return {
    name: 'relocate-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(src + sep)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const asBuilt = relative(src, args.path).split(sep).join('/').replace(/\.ts$/, '.js');
        const url = `new URL(${JSON.stringify(asBuilt)}, new URL(${DIST_ROOT}, import.meta.url)).href`;
        return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

/** notices lists every bundled package with its licence text, from the metafile's inputs. */
function notices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const rest = input.slice(at + 'node_modules/'.length).split('/');
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '');
    const dir = join(root, input.slice(0, at), 'node_modules', name);
    if (!packages.has(dir)) packages.set(dir, name);
  }
  const sections = [...packages]
    .map(([dir, name]) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)(\.|-|$)/i.test(f));
      if (files.length === 0) throw new Error(`build: bundled package ${name} has no licence file in ${dir}`);
      const texts = files.sort().map((f) => readFileSync(join(dir, f), 'utf8').trim());
      return { id: `${name}@${pkg.version}`, license: String(pkg.license ?? 'see below'), texts };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const head = [
    'baton bundles the following packages into dist/ (scripts/build.mjs).',
    'Each is listed with its version and licence, followed by its licence text.',
    '',
    ...sections.map((s) => `- ${s.id} (${s.license})`),
  ];
  const body = sections.map((s) =>
    [`${'='.repeat(78)}`, `${s.id} (${s.license})`, '', ...s.texts].join('\n'),
  );
  return `${[head.join('\n'), ...body].join('\n\n')}\n`;
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* walk(path);
    else yield path;
  }
}

function removeEmptyDirs(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeEmptyDirs(join(dir, e.name));
  }
  if (dir !== dist && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}
