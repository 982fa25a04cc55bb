/**
 * The Redis backend (`redis://`, `rediss://`, `redis+sentinel://`, `redis+cluster://`) on ioredis:
 * fenced locks with notified waiting and dicts with versions, TTLs and a change stream per dict.
 * Key layout in keys.ts, TTL scheme in dicts.ts, URL options in url.ts, guarantees in docs/SAFETY.md.
 */
export { openRedis } from './open.js';
export { parseRedisUrl, type RedisSettings } from './url.js';
