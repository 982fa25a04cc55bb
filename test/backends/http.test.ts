/**
 * The http backend against the conformance suite, unmodified: clients `connect('http://…')` to
 * an in-process baton server (real sockets) that runs on its own named memory store. The
 * compaction test talks to a second server whose store keeps 5 versions of watch history.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { startTestServer, type TestServer } from '../server/support/server.js';

let main: TestServer;
let compacting: TestServer;

beforeAll(async () => {
  [main, compacting] = await Promise.all([
    startTestServer('memory://http-conformance', { logLevel: 'warn' }),
    startTestServer('memory://http-conformance-compacting?history=5', { logLevel: 'warn' }),
  ]);
});

afterAll(async () => {
  await Promise.all([main?.stop(), compacting?.stop()]);
});

describe('http backend → server(memory)', () => {
  runConformance({
    name: 'http(memory)',
    connect: () => connect(main.url),
    connectCompacting: () => connect(compacting.url),
  });
});
