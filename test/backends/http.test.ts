/**
 * The http backend against the conformance suite, unmodified: clients `connect('http://…')` to
 * an in-process baton server (real sockets) that runs on its own named memory store. The
 * compaction test talks to a second server whose store keeps 5 versions of watch history.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance, runNearCacheConformance } from '../conformance/index.js';
import { startTestServer, type TestServer } from '../server/support/server.js';

/**
 * CALL_TIMEOUT_MS is the clients' per-call deadline. The server runs in this process and shares its
 * CPU with the clients, so under stress-ng the 5 s default ran out during 100 concurrent updates.
 */
const CALL_TIMEOUT_MS = 30_000;

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

const harness = {
  name: 'http(memory)',
  connect: () => connect(main.url, { timeoutMs: CALL_TIMEOUT_MS }),
  connectCompacting: () => connect(compacting.url, { timeoutMs: CALL_TIMEOUT_MS }),
};

describe('http backend → server(memory)', () => {
  runConformance(harness);
});

describe('http backend → server(memory), dicts through a near cache', () => {
  runNearCacheConformance(harness);
});
