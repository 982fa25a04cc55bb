/**
 * The Redlock backend (`redlock://h1:6379,h2:6379,h3:6379`): fenced quorum locks over independent
 * Redis masters, with notified waiting; dicts are composed from another backend. Algorithm in
 * attempt.ts and locks.ts, guarantees and the fence argument in docs/SAFETY.md.
 */
export { openRedlock } from './open.js';
export { parseRedlockUrl, type RedlockSettings } from './url.js';
