/**
 * docs/REST.md, /openapi.json and the server agree on request bodies: for every endpoint whose
 * body is a JSON object, the fields the REST.md table lists (`"f"` required, `"f"?` optional)
 * are the OpenAPI schema's properties, the required ones are its `required` list, and the server
 * answers 400 naming each required field when the body is `{}`.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

interface BodyDoc {
  fields: string[];
  required: string[];
}

/** documentedBodies reads the endpoint table of docs/REST.md: "METHOD /path" → its body fields. */
function documentedBodies(): Map<string, BodyDoc> {
  const text = readFileSync(new URL('../../docs/REST.md', import.meta.url), 'utf8');
  const out = new Map<string, BodyDoc>();
  for (const line of text.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    if (cells.length < 4 || !cells[1]?.startsWith('`')) continue;
    const [, where = '', what = ''] = cells;
    const endpoints = endpointsOf(where, what);
    if (endpoints.length === 0) continue;
    const body = what.match(/^`(\{[^`]*\})`/)?.[1]; // a GET row's is its response, never looked up
    for (const e of endpoints) {
      if (body) out.set(e, fieldsOf(body));
      else if (what.startsWith('as for locks')) {
        const lock = out.get(e.replace(/\/v1\/(semaphores|rwlocks)\//, '/v1/locks/'));
        if (lock) out.set(e, lock);
      }
    }
  }
  return out;
}

/** endpointsOf expands a table cell such as "`POST /a/{n}/extend`, `…/release`" (+ "also under `/b/{n}/`"). */
function endpointsOf(where: string, what: string): string[] {
  const out: string[] = [];
  let dir = '';
  let method = '';
  for (const [, item = ''] of where.matchAll(/`([^`]+)`/g)) {
    const m = item.match(/^(GET|PUT|POST|DELETE) (\S+)$/);
    if (m) {
      method = m[1]!;
      out.push(`${method} ${m[2]}`);
      dir = m[2]!.slice(0, m[2]!.lastIndexOf('/'));
    } else if (item.startsWith('…/')) out.push(`${method} ${dir}${item.slice(1)}`);
  }
  const also = what.match(/also under `([^`]+)\/`/)?.[1];
  if (also) {
    for (const e of [...out]) out.push(e.replace(/ \/v1\/[a-z]+\/\{name\}/, ` ${also}`));
  }
  return out;
}

/** fieldsOf reads the top-level field names of `{ "a", "b"?, "c": [ … ], "d": "x" \| "y" }`. */
function fieldsOf(body: string): BodyDoc {
  let top = body.slice(1, -1);
  while (/\[[^[\]]*\]/.test(top)) top = top.replace(/\[[^[\]]*\]/g, '');
  const found = [...top.matchAll(/(?<![:|]\s*)"([A-Za-z]+)"(\?)?/g)]; // not values: `"mode": "read" \| "write"`
  return {
    fields: found.map((f) => f[1]!).sort(),
    required: found
      .filter((f) => !f[2])
      .map((f) => f[1]!)
      .sort(),
  };
}

interface JsonSchema {
  type?: string;
  properties?: Record<string, unknown>;
  required?: string[];
}

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-rest-doc', { logLevel: 'warn' });
});
afterAll(() => s.stop());

describe('docs/REST.md and /openapi.json', () => {
  it('agree on every object body: its fields and which are required; the server requires them', async () => {
    const doc = (await rest(s.url, 'GET', '/openapi.json')).json as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>
      >;
    };
    const documented = documentedBodies();
    const compared: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const schema = op.requestBody?.content['application/json']?.schema;
        if (schema?.type !== 'object' || Object.keys(schema.properties ?? {}).length === 0) continue;
        const endpoint = `${method.toUpperCase()} ${path}`;
        const openapi = {
          fields: Object.keys(schema.properties ?? {}).sort(),
          required: [...(schema.required ?? [])].sort(),
        };
        expect({ endpoint, ...documented.get(endpoint) }).toEqual({ endpoint, ...openapi });
        if (openapi.required.length > 0) {
          const url = path
            .replace('{name}', 'doc-check')
            .replace('{dict}', 'doc-check')
            .replace('{key}', 'k')
            .replace('{group}', 'doc-check')
            .replace('{member}', 'm');
          const r = await rest(s.url, 'POST', url, { json: {} });
          expect({ endpoint, status: r.status }).toEqual({ endpoint, status: 400 });
          for (const f of openapi.required) expect(r.json.detail).toContain(`body.${f}`);
        }
        compared.push(endpoint);
      }
    }
    expect(compared).toContain('POST /v1/locks/{name}/acquire');
    expect(compared).toContain('POST /v1/rwlocks/{name}/extend');
    expect(compared.length).toBeGreaterThanOrEqual(12);
  });
});
