#!/usr/bin/env node
// build-dashboard: builds the page `baton serve` shows at `/` into dist/dashboard/ — the
// TypeScript in src/dashboard/ compiled by tsconfig.dashboard.json (DOM, plain ES modules, no
// bundler), and the static files beside it (index.html, style.css) copied as they are. Run by
// `npm run build` (and so by `prepare` and `npm test`), and by the dashboard's browser test.
// Fails with tsc's own errors, or naming the static file it could not copy.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/dashboard/`;
const out = `${root}dist/dashboard/`;
const STATIC = ['index.html', 'style.css'];

rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.dashboard.json`], {
  stdio: 'inherit',
});
if (built.status !== 0) {
  console.error('build-dashboard: tsc -p tsconfig.dashboard.json failed');
  process.exit(built.status ?? 1);
}
mkdirSync(out, { recursive: true });
for (const file of STATIC) copyFileSync(`${source}${file}`, `${out}${file}`);
