#!/usr/bin/env node
// complete-lockfile: adds lockfile entries for platform-specific optional packages (biome's and
// rollup's native binaries for other OS/CPU pairs) that `npm install` leaves out when the
// registry it talks to does not serve them. Without those entries `npm ci` refuses the lockfile
// ("Missing: @rollup/rollup-win32-x64-msvc@ from lock file"). Each added entry carries its exact
// version and its os/cpu/libc, so npm skips it on other platforms and fetches it on its own.
// Run after any `npm install` that changes dependencies:  node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
let added = 0;

for (const [where, meta] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key] || !/^\d+\.\d+\.\d+/.test(version)) continue;
    const platform = platformOf(name);
    if (!platform) continue;
    pkgs[key] = { version, ...platform, optional: true, license: 'MIT' };
    added++;
  }
  void where;
}

lock.packages = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);

function platformOf(name) {
  const m =
    /(?:cli|rollup)-(android|darwin|freebsd|openbsd|linux|openharmony|win32)-([a-z0-9]+)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi))?$/.exec(
      name,
    );
  if (!m) return undefined;
  const [, os, cpu0, abi] = m;
  const cpu = cpu0 === 'ia32' ? 'ia32' : cpu0;
  const out = { cpu: [cpu === 'arm' ? 'arm' : cpu], os: [os] };
  if (abi === 'musl' || abi === 'musleabihf') out.libc = ['musl'];
  if (abi === 'gnu' || abi === 'gnueabihf') out.libc = ['glibc'];
  return out;
}
