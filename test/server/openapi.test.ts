/**
 * /openapi.json is generated from the route table; this checks that every route mounted on the
 * express app is in the document with each of its methods, that the document names no route the
 * app lacks, and that each operation documents its parameters, body and problem responses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { type BatonApp, createApp, createLogger } from '../../src/server/index.js';
import { rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** mounted lists "METHOD /path" for every route express will dispatch (not the 405 catch-alls). */
function mounted(app: BatonApp): string[] {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  return stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods)
          .filter((m) => m !== '_all')
          .map((m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:([A-Za-z]+)/g, '{$1}')}`)
      : [],
  );
}

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-openapi', { logLevel: 'warn' });
});
afterAll(() => s.stop());

describe('/openapi.json', () => {
  it('documents exactly the routes the app mounts', async () => {
    const baton = await connect('memory://server-openapi');
    const app = createApp({ baton, logger: createLogger({ level: 'silent' }) });
    const doc = (await rest(s.url, 'GET', '/openapi.json')).json as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const routes = mounted(app);
    expect(routes.length).toBeGreaterThan(15);
    expect(documented.sort()).toEqual([...routes].sort());
    for (const r of [
      'POST /v1/locks/{name}/acquire',
      'GET /v1/dicts/{dict}/watch',
      'PUT /v1/dicts/{dict}/keys/{key}',
      'GET /metrics',
      'GET /healthz',
    ]) {
      expect(routes).toContain(r);
    }
    await baton.close();
  });

  it('describes parameters, bodies and problems from the zod schemas', async () => {
    const doc = (await rest(s.url, 'GET', '/openapi.json')).data;
    const at = (...path: string[]): unknown =>
      path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);
    const put = ['paths', '/v1/dicts/{dict}/keys/{key}', 'put'];
    const names = (at(...put, 'parameters') as Array<{ name: string; in: string }>).map(
      (p) => `${p.in}:${p.name}`,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'path:dict',
        'path:key',
        'query:ttlMs',
        'header:If-Match',
        'header:If-None-Match',
        'header:Baton-Fence-Lock',
        'header:Baton-Fence',
        'header:Baton-Lock-Token',
      ]),
    );
    expect(Object.keys(at(...put, 'responses') as object)).toEqual(
      expect.arrayContaining(['200', '201', '400', '401', '403', '409', '412', '413', '503']),
    );
    expect(at(...put, 'responses', '412', 'content', 'application/problem+json', 'schema')).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(
      at('paths', '/v1/locks/{name}/acquire', 'post', 'requestBody', 'content', 'application/json', 'schema'),
    ).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: { ttlMs: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 } },
    });
    expect(at('paths', '/healthz', 'get', 'security')).toEqual([]);
    expect(at('components', 'schemas', 'Problem')).toMatchObject({ type: 'object' });
  });
});
