/**
 * byteOrder: how baton orders names and keys in listings where the store orders them, as Redis
 * (ZRANGEBYLEX, sorted-set members) and etcd (range reads) do: by their UTF-8 bytes. That differs
 * from JavaScript's default string order (UTF-16 code units) for characters above U+FFFF against
 * those from U+E000 to U+FFFF, so a listing merged or sorted in JavaScript must use this to page
 * consistently with a cursor the store resumes.
 */

/** byteOrder compares `a` and `b` by their UTF-8 bytes: negative, 0 or positive, for `Array.sort`. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
