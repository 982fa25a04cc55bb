/**
 * randomHex: random ids and owner tokens from the CSPRNG, drawn POOL_BYTES at a time (as
 * `crypto.randomUUID` does). One `randomBytes` call per id was, after the socket writes, the
 * largest client-side cost of an uncontended Redis lock cycle (a token and a waiter id each).
 * The pool holds bytes not yet handed out; each byte is handed out once.
 */
import { randomBytes } from 'node:crypto';

/** POOL_BYTES is how many random bytes are drawn at once. */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/** randomHex returns `bytes` (at most POOL_BYTES) fresh random bytes, hex encoded. */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_BYTES) {
    throw new RangeError(`randomHex: bytes must be an integer in 1..${POOL_BYTES} (got ${bytes})`);
  }
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
