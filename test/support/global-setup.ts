/**
 * Vitest global setup: starts the shared real services once per run and hands their URLs to the
 * tests (`inject('redisUrl')` etc., typed in provided.d.ts). Tests that kill or restart servers
 * start their own from services.ts instead.
 */
import type { TestProject } from 'vitest/node';
import {
  cleanUpAll,
  ensureBinaries,
  startEtcd,
  startEtcdCluster,
  startRedis,
  startRedisCluster,
} from './services.js';

const running: { stop(): Promise<void> }[] = [];

/**
 * setup starts one Redis, a 3-master Redis Cluster, one etcd and a 3-member etcd cluster, in
 * parallel. It fails the run (after stopping whatever did start) if binaries are missing and
 * cannot be installed, or if a service does not come up.
 */
export async function setup(project: TestProject): Promise<void> {
  ensureBinaries();
  const started = Date.now();
  const services = await Promise.allSettled([
    startRedis(),
    startRedisCluster(3),
    startEtcd(),
    startEtcdCluster(3),
  ]);
  for (const result of services) if (result.status === 'fulfilled') running.push(result.value);
  const [redis, redisCluster, etcd, etcdCluster] = services;
  if (
    redis.status === 'rejected' ||
    redisCluster.status === 'rejected' ||
    etcd.status === 'rejected' ||
    etcdCluster.status === 'rejected'
  ) {
    await teardown();
    throw services.find((result) => result.status === 'rejected')?.reason;
  }
  project.provide('redisUrl', redis.value.url);
  project.provide('redisClusterUrl', redisCluster.value.url);
  project.provide('etcdUrl', etcd.value.url);
  project.provide('etcdClusterUrl', etcdCluster.value.url);
  if (process.env.CI !== undefined || process.env.BATON_TEST_TIMING !== undefined) {
    console.log(`baton test services up in ${Date.now() - started} ms`);
  }
}

/** teardown stops every service started by `setup`, then anything else still tracked. */
export async function teardown(): Promise<void> {
  await Promise.allSettled(running.splice(0).map((service) => service.stop()));
  await cleanUpAll();
}
