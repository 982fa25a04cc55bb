/**
 * Free loopback ports for test servers.
 *
 * Several test runs may share this machine, so ports are never fixed: the kernel picks one, and a
 * server that still loses the race reports "address already in use", which the starters in
 * redis.ts and etcd.ts answer by retrying on fresh ports (see `isPortClash`).
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** freePort asks the kernel for an unused TCP port on 127.0.0.1; never returns the same port twice per process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => {
          if (address !== null && typeof address === 'object') resolve(address.port);
          else reject(new Error('freePort: listening socket has no port'));
        });
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** freePorts returns `count` distinct free ports (see `freePort`). */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}

/** isPortClash tells whether a server's output says it could not bind its port. */
export function isPortClash(output: string): boolean {
  return /address already in use/i.test(output);
}
