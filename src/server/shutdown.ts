/**
 * Graceful shutdown: stop accepting connections, tell long-lived requests to finish (long-polls
 * answer 503 `backend_unavailable`, watch streams end), let in-flight requests complete, and
 * close idle keep-alive connections as they become idle. Whatever is still open at the deadline
 * is cut. Then the backend connection is closed. `drain` never rejects: a failing backend close
 * is logged, because the process is ending anyway.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Baton } from '../index.js';

/** DrainOptions say what to drain and how long in-flight requests may take. */
export interface DrainOptions {
  readonly server: Server;
  /** controller is the app's shutdown controller (createApp's `signal`). */
  readonly controller: AbortController;
  readonly baton: Baton;
  readonly deadlineMs: number;
  readonly logger: Logger;
}

/** drain shuts the server down gracefully and resolves when it is closed and the backend too. */
export async function drain(options: DrainOptions): Promise<void> {
  const { server, controller, baton, deadlineMs, logger } = options;
  const started = performance.now();
  controller.abort(new Error('the server is shutting down'));
  const closed = new Promise<void>((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
  // Responses that finish during the drain leave idle keep-alive sockets behind: close them.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  let cut = false;
  const deadline = setTimeout(() => {
    cut = true;
    server.closeAllConnections();
  }, deadlineMs);
  server.closeIdleConnections();
  await closed;
  clearInterval(sweep);
  clearTimeout(deadline);
  try {
    await baton.close();
  } catch (err) {
    logger.error({ err }, 'closing the backend failed');
  }
  logger.info(
    { ms: Math.round(performance.now() - started), cutConnections: cut },
    cut ? 'shut down at the deadline, cutting open requests' : 'shut down cleanly',
  );
}

/**
 * onShutdownSignals runs `stop` on the first SIGTERM or SIGINT and exits when it settles; a second
 * signal exits at once with status 1. Returns a function that removes the handlers.
 */
export function onShutdownSignals(stop: () => Promise<void>, logger: Logger): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
