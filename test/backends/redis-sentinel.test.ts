/**
 * The Redis backend through Sentinel (`redis+sentinel://sentinel/mymaster`) against the
 * conformance suite: one redis-server as master, one sentinel monitoring it (started here; the
 * shared test setup has no sentinel). The client asks the sentinel for the master, then behaves
 * exactly as on a single node, ownership guard included.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { makeTempDir, removeTempDir, type ServerProcess, spawnServer } from '../support/processes.js';
import { freePort, type RedisHandle, redisCommand, startRedis } from '../support/services.js';
import { waitForServer } from '../support/wait.js';

describe('redis backend (sentinel)', () => {
  let master: RedisHandle | undefined;
  let sentinel: ServerProcess | undefined;
  let dir: string | undefined;
  let url = '';

  beforeAll(async () => {
    master = await startRedis();
    dir = await makeTempDir('sentinel');
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
        'sentinel down-after-milliseconds mymaster 60000',
        '',
      ].join('\n'),
    );
    sentinel = await spawnServer('redis-server', [conf, '--sentinel']);
    await waitForServer(sentinel, async () => (await redisCommand(port, ['PING'])) === 'PONG', {
      what: `redis sentinel on 127.0.0.1:${port}`,
    });
    url = `redis+sentinel://127.0.0.1:${port}/mymaster?prefix=conformance-${randomBytes(6).toString('hex')}:`;
  });
  afterAll(async () => {
    await sentinel?.stop('SIGTERM');
    await master?.stop();
    if (dir) await removeTempDir(dir);
  });

  runConformance({
    name: 'redis-sentinel',
    connect: () => connect(url),
    connectCompacting: () => connect(`${url}&history=5`),
  });
});
