/**
 * A one-shot Redis command over a raw TCP socket, for health probes where a full client (with its
 * reconnect logic and error events) would only get in the way.
 */
import { connect } from 'node:net';

/**
 * redisCommand sends one command to 127.0.0.1:`port` and resolves with the reply as text: the
 * status, integer or bulk string. It rejects on a Redis error reply (e.g. "LOADING ..."), on a
 * socket error, or after `timeoutMs`.
 */
export function redisCommand(port: number, args: readonly string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    const finish = (err: Error | undefined, reply?: string): void => {
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(reply ?? '');
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no reply from 127.0.0.1:${port}`)));
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error(`127.0.0.1:${port} closed the connection`)));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const reply = parseReply(data);
      if (reply === undefined) return;
      if (reply.startsWith('-')) finish(new Error(reply.slice(1)));
      else finish(undefined, reply);
    });
    socket.write(encode(args));
  });
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** parseReply returns the reply text ("-" kept for errors), or undefined if more bytes are needed. */
function parseReply(data: Buffer): string | undefined {
  const lineEnd = data.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const line = data.subarray(0, lineEnd).toString('utf8');
  if (line[0] !== '$') return line[0] === '-' ? line : line.slice(1);
  const length = Number(line.slice(1));
  if (length < 0) return '';
  const start = lineEnd + 2;
  if (data.length < start + length + 2) return undefined;
  return data.subarray(start, start + length).toString('utf8');
}
