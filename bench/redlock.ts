/**
 * redlock v5.0.0-beta.2, typed. Its package.json "exports" map has no "types" condition, so under
 * NodeNext resolution TypeScript finds no declarations for `import 'redlock'` (TS7016); the
 * declarations it ships are taken here from their file, once, for every scenario.
 */

// @ts-expect-error TS7016: see the header; the runtime import is the package's own ESM build.
import RedlockRuntime from 'redlock';
import type { default as RedlockType } from '../node_modules/redlock/dist/index.js';

/** Redlock is the library's default export, with its shipped types. */
export const Redlock = RedlockRuntime as typeof RedlockType;
