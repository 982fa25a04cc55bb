/** Turning the service URLs handed to tests into what the client libraries take. */

/** etcdHosts turns `etcd://h1:p1,h2:p2` into etcd3's `hosts`: `['http://h1:p1', 'http://h2:p2']`. */
export function etcdHosts(url: string): string[] {
  return hostList(url, 'etcd:').map((host) => `http://${host}`);
}

/** redisClusterNodes turns `redis+cluster://h1:p1,h2:p2` into ioredis Cluster startup nodes. */
export function redisClusterNodes(url: string): { host: string; port: number }[] {
  return hostList(url, 'redis+cluster:').map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
  });
}

function hostList(url: string, scheme: string): string[] {
  if (!url.startsWith(`${scheme}//`)) throw new Error(`expected a ${scheme}// URL, got ${url}`);
  return url.slice(scheme.length + 2).split(',');
}
