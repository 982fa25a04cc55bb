/**
 * The http backend against the conformance suite, unmodified, with the server on Redis:
 * clients `connect('http://…')` to an in-process baton server (real sockets) whose backend is the
 * test run's redis-server under a random key prefix. The compaction test talks to a second server
 * whose dict streams keep 5 versions.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { startTestServer, type TestServer } from '../server/support/server.js';

const redis = `${inject('redisUrl')}?prefix=http-conformance-${randomBytes(6).toString('hex')}:`;
/**
 * CALL_TIMEOUT_MS is the clients' per-call deadline. The server runs in this process and shares its
 * CPU with the clients, so under stress-ng the 5 s default ran out during 100 concurrent updates.
 */
const CALL_TIMEOUT_MS = 30_000;

let main: TestServer;
let compacting: TestServer;

beforeAll(async () => {
  [main, compacting] = await Promise.all([
    startTestServer(redis, { logLevel: 'warn' }),
    startTestServer(`${redis}&history=5`, { logLevel: 'warn' }),
  ]);
});

afterAll(async () => {
  await Promise.all([main?.stop(), compacting?.stop()]);
});

describe('http backend → server(redis)', () => {
  runConformance({
    name: 'http(redis)',
    connect: () => connect(main.url, { timeoutMs: CALL_TIMEOUT_MS }),
    connectCompacting: () => connect(compacting.url, { timeoutMs: CALL_TIMEOUT_MS }),
  });
});
