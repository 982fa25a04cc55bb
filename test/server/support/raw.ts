/**
 * rawSocket opens a plain TCP connection to a test server, for tests about what happens below
 * HTTP clients: partial requests, bodies that never end, idle and refused connections. Every
 * wait resolves on a socket event; nothing is timed.
 */
import { connect, type Socket } from 'node:net';

/** RawReply is the head of one HTTP response read off a raw socket. */
export interface RawReply {
  readonly status: number;
  /** headers are lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** RawConnection is an open socket and what the server sent on it. */
export interface RawConnection {
  readonly socket: Socket;
  /** reply resolves with the first complete response; rejects if the socket closes before one. */
  readonly reply: Promise<RawReply>;
  /** closed resolves once the server (or the client) has closed the connection. */
  readonly closed: Promise<void>;
  /** received is every byte read so far. */
  readonly received: () => string;
}

/** openRaw connects to `url` (http://host:port) and resolves once connected. */
export async function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  let text = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const reply = new Promise<RawReply>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const parsed = parse(text);
      if (parsed) resolve(parsed);
    });
    socket.once('close', () =>
      reject(new Error(`closed before a full response; got ${JSON.stringify(text)}`)),
    );
  });
  reply.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, reply, closed, received: () => text };
}

function parse(text: string): RawReply | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = text.slice(end + 4);
  if (body.length < length) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.slice(0, length) };
}
