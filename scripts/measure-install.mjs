#!/usr/bin/env node
// measure-install: what a user of each backend installs. Packs the built tree (`npm pack`, as
// published; run `npm run build` first), installs the tarball into fresh temporary apps from the
// npm cache (--prefer-offline, as test/package.test.ts does), once plain (a memory:// or http://
// user) and once with each backend's client library, and prints the packages and bytes under
// node_modules for each, with the tarball's file count and sizes. Issue 16 asks for these numbers
// before and after a packaging change; this script is how they are taken.
//   node scripts/measure-install.mjs [--json]
// Fails with npm's own error when packing or an install fails (e.g. a package not in the cache).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const devVersion = (name) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
/** USERS maps each kind of user to the packages they add beside baton (the versions we test with). */
const USERS = [
  ['memory:// or http://', []],
  ['redis://, redlock:// (+ ioredis)', [`ioredis@${devVersion('ioredis')}`]],
  ['etcd:// (+ etcd3)', [`etcd3@${devVersion('etcd3')}`]],
];

const work = mkdtempSync(join(tmpdir(), 'baton-measure-'));
try {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
    }),
  )[0];
  const tarball = join(work, packed.filename);
  const rows = USERS.map(([user, extra], i) => {
    const app = join(work, `app-${i}`);
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `measure-${i}`, private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...extra], {
      cwd: app,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const nm = join(app, 'node_modules');
    return { user, packages: countPackages(nm), ...du(nm) };
  });
  const result = {
    tarball: { files: packed.entryCount, packedBytes: packed.size, unpackedBytes: packed.unpackedSize },
    installs: rows,
  };
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
    console.log(
      `tarball: ${result.tarball.files} files, ${mb(result.tarball.packedBytes)} packed, ${mb(result.tarball.unpackedBytes)} unpacked`,
    );
    for (const r of rows)
      console.log(
        `${r.user.padEnd(34)} ${String(r.packages).padStart(4)} packages  ${mb(r.bytes)} (${mb(r.disk)} on disk)`,
      );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** countPackages counts the installed packages: every folder under node_modules holding a package.json. */
function countPackages(dir) {
  let n = 0;
  for (const name of safeList(dir)) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (name.startsWith('@')) {
      n += countPackages(path);
      continue;
    }
    if (statSync(path).isDirectory() && safeList(path).includes('package.json')) {
      n += 1 + countPackages(join(path, 'node_modules'));
    }
  }
  return n;
}

/** du sums the files under dir: `bytes` as `du -sb` (apparent size), `disk` as `du -s` (blocks). */
function du(dir) {
  const total = { bytes: 0, disk: 0 };
  for (const name of safeList(dir)) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    const sub = st.isDirectory() ? du(path) : { bytes: st.size, disk: 0 };
    total.bytes += sub.bytes;
    total.disk += sub.disk + st.blocks * 512;
  }
  return total;
}

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
