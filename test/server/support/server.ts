/**
 * In-process baton servers for tests: `createApp` over a fresh backend connection, listening on
 * an ephemeral loopback port with real sockets. `stop()` drains like a real shutdown.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type Baton, connect } from '../../../src/index.js';
import { type AppOptions, createApp, createLogger, drain } from '../../../src/server/index.js';

/** TestServer is a listening in-process server. */
export interface TestServer {
  readonly url: string;
  readonly server: Server;
  readonly baton: Baton;
  /** logs holds every log line the server wrote (JSON text). */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** startTestServer connects to `backend` and serves it on 127.0.0.1 with a free port. */
export async function startTestServer(
  backend: string,
  options: Omit<AppOptions, 'baton' | 'signal' | 'logger'> & { logLevel?: string } = {},
): Promise<TestServer> {
  const baton = await connect(backend);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: options.logLevel ?? 'info', destination });
  const controller = new AbortController();
  const app = createApp({ ...options, baton, logger, signal: controller.signal });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    baton,
    logs,
    stop() {
      stopping ??= drain({ server, controller, baton, deadlineMs: 2_000, logger });
      return stopping;
    },
  };
}
