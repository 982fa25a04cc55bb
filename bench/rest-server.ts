/**
 * A server for B6, run as its own process so that it does not share an event loop with
 * autocannon: `node --import tsx bench/rest-server.ts <express | backend URL>`. Prints one JSON
 * line `{"url": …}` on stdout once it listens, and stops on SIGTERM.
 */
import express from 'express';
import { createLogger } from '../src/server/logging.js';
import { startServer } from '../src/server/server.js';

const target = process.argv[2] ?? 'memory://';

if (target === 'express') {
  const app = express();
  app.get('/', (_req, res) => {
    res.send('hello world');
  });
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  // warn: no log line for successful requests, as with an operator's quiet production setting.
  const running = await startServer({ backend: target, port: 0, logger: createLogger({ level: 'warn' }) });
  process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
  process.once('SIGTERM', () => {
    void running.close().then(() => process.exit(0));
  });
}
