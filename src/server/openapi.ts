/**
 * buildOpenApi generates the OpenAPI 3.1 document from the route declarations and their zod
 * schemas (`z.toJSONSchema`, JSON Schema 2020-12 as OpenAPI 3.1 uses), so the document is the
 * code. A test checks that every route mounted on the app appears in it. It does not fail: a
 * schema zod cannot express in JSON Schema (a transform) is documented by its input side.
 */
import { z } from 'zod';
import type { Route } from './route.js';
import { ProblemBody } from './schemas.js';

/** OpenApiDocument is the generated document (plain JSON). */
export type OpenApiDocument = { readonly openapi: '3.1.0' } & Record<string, unknown>;

const COMMON_PROBLEMS = [400, 401, 403, 429, 503];

/**
 * buildOpenApi describes `routes` as an OpenAPI 3.1 document; `license` is an SPDX identifier.
 * Its one server is relative (`/`: the scheme, host and port that serve the document); GET
 * /openapi.json of an app mounted under a path names that path instead.
 */
export function buildOpenApi(
  routes: readonly Route[],
  info: { version: string; license?: string | undefined },
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[r.method] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'baton',
      version: info.version,
      description:
        'Fenced distributed locks and shared dicts. Every error is application/problem+json (RFC 9457) with a `code`.',
      ...(info.license ? { license: { name: info.license, identifier: info.license } } : {}),
    },
    servers: [{ url: '/', description: 'the server that serves this document' }],
    paths,
    components: {
      schemas: { Problem: schemaOf(ProblemBody) },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
  };
}

function operation(r: Route): Record<string, unknown> {
  const parameters = [
    ...paramsOf(r.params, 'path'),
    ...paramsOf(r.query, 'query'),
    ...paramsOf(r.headers, 'header'),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(r.responses)) {
    const headers = doc.headers
      ? Object.fromEntries(
          Object.entries(doc.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
        )
      : undefined;
    responses[status] = {
      description: doc.description,
      ...(headers ? { headers } : {}),
      ...(doc.schema || doc.contentType
        ? {
            content: {
              [doc.contentType ?? 'application/json']: { schema: doc.schema ? schemaOf(doc.schema) : {} },
            },
          }
        : {}),
    };
  }
  // A public route has no token to refuse or rate-limit, but refuses an unknown query parameter
  // or a body it does not take (400) like every route.
  const statuses =
    r.access.kind === 'public' ? [400, ...r.problems, 503] : [...COMMON_PROBLEMS, ...r.problems];
  for (const status of [...new Set(statuses)].sort()) {
    responses[String(status)] ??= {
      description: 'problem (see `code`)',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: r.summary,
    tags: [r.tag],
    ...(r.access.kind === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(r.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(r.body) } } } }
      : {}),
    responses,
  };
}

function paramsOf(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): unknown[] {
  if (!schema) return [];
  const json = schemaOf(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name: where === 'header' ? headerCase(name) : name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof (s as { description?: unknown }).description === 'string'
      ? { description: (s as { description: string }).description }
      : {}),
  }));
}

function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

function headerCase(name: string): string {
  return name
    .split('-')
    .map((p) => (p === 'id' ? 'ID' : p.charAt(0).toUpperCase() + p.slice(1)))
    .join('-');
}
