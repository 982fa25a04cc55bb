/**
 * closeUnread ends a connection whose request body was never read (a refusal decided from the
 * head), the way HTTP servers do a "lingering close": the answer goes out with
 * `Connection: close`, the server's side is shut (FIN), and what the client still sends is read
 * and thrown away — for at most `lingerMs` — until the client closes. Closing at once would make
 * the kernel answer the unread bytes with a reset, which can destroy the answer before the client
 * reads it; draining without a bound would let a client keep the server busy with a body of any
 * size or speed. Either way no body byte is kept in memory.
 *
 * How it fails: it does not; a socket that is already gone is left alone.
 */
import type { Request, Response } from 'express';

/** closeUnread marks `res` as the connection's last answer and lingers as described above. */
export function closeUnread(req: Request, res: Response, lingerMs: number): void {
  res.setHeader('Connection', 'close');
  const socket = req.socket;
  res.once('finish', () => {
    // Node's own finish handler ran first and asked for socket.destroySoon(): a FIN, then a
    // destroy once it is flushed. Keep the FIN, replace the immediate destroy with the linger.
    socket.removeListener('finish', socket.destroy);
    if (socket.destroyed) return;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(done, lingerMs);
    timer.unref();
    socket.once('end', done);
    socket.once('close', () => clearTimeout(timer));
    req.resume();
    socket.resume();
  });
}
