/**
 * Request bodies, read only after a route has authorized the caller and checked everything else
 * the head says (see route.ts), so a refused request costs no body bytes. `readRawBody` enforces
 * the size limit while streaming: Content-Length over the limit is refused before a byte is
 * read, and a chunked body is cut as soon as it passes the limit — nothing past it is buffered.
 * A response sent while the body is still unread carries `Connection: close` (see
 * problems.ts), so Node closes the connection instead of draining the rest.
 *
 * How it fails: HttpProblem `payload_too_large` (413) over the limit; `unsupported_media_type`
 * (415) for a Content-Encoding other than identity; `invalid_argument` (400) when the client
 * stops sending mid-body.
 */
import type { Request } from 'express';
import { HttpProblem } from './problems.js';

/** hasBody tells from the head whether a request announces a body (Content-Length > 0 or chunked). */
export function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/** readRawBody reads the whole body, up to `limit` bytes; see the module comment for how it fails. */
export function readRawBody(req: Request, limit: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    return Promise.reject(
      new HttpProblem('unsupported_media_type', `content encoding "${encoding}" is not supported`),
    );
  }
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  if (!hasBody(req)) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        req.pause();
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => {
      stop();
      reject(new HttpProblem('invalid_argument', 'the request body ended before its announced length'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
  });
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem('payload_too_large', `request body is larger than the limit of ${limit} bytes`);
}
