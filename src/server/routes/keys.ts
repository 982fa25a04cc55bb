/**
 * keyRoutes: one dict entry — get, put, delete, incr, set-if-absent and pop — over SharedDict.
 * Versions travel as strong ETags (`"12"`). How they fail: 404 `not_found` for an absent key on
 * get, delete and pop; 412 `version_conflict` when If-Match / If-None-Match: * does not hold;
 * 409 `stale_fence` for a refused fenced write; 409 `type_mismatch` for incr on a non-number;
 * 400 for a bad key, value or header; 413 for a body over the limit.
 */
import { NotFoundError } from '../../index.js';
import type { RouteDeps } from '../options.js';
import { defineRoute, type Route } from '../route.js';
import {
  DeleteHeaders,
  FenceHeaders,
  IncrBody,
  IncrResultBody,
  JsonValue,
  KeyParams,
  PutHeaders,
  PutQuery,
  SetIfAbsentBody,
  ValueBody,
  VersionBody,
} from '../schemas.js';
import { counted, etag, fenceFrom, ifVersionFrom } from './conditions.js';

const KEY_PATH = '/v1/dicts/:dict/keys/:key';
const WRITE = { kind: 'dict', right: 'write', param: 'dict' } as const;
const READ = { kind: 'dict', right: 'read', param: 'dict' } as const;

/** keyRoutes declares the /v1/dicts/{dict}/keys/{key} endpoints. */
export function keyRoutes({ baton, metrics }: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: KEY_PATH,
      summary: 'Read one value; its version is the ETag',
      tag: 'dicts',
      access: READ,
      params: KeyParams,
      responses: {
        200: {
          description: 'the stored JSON value',
          schema: JsonValue,
          headers: {
            ETag: 'the version, quoted',
            'Baton-Expires-At': 'ms since the epoch, when the entry has a TTL',
          },
        },
      },
      problems: [404],
      async handler({ params, res }) {
        const e = await counted(metrics, 'get', () => baton.dict(params.dict).getEntry(params.key));
        if (!e) throw new NotFoundError(`key ${JSON.stringify(params.key)} is not in dict "${params.dict}"`);
        res.setHeader('ETag', etag(e.version));
        if (e.expiresAt !== undefined) res.setHeader('Baton-Expires-At', String(e.expiresAt));
        res.type('application/json').send(JSON.stringify(e.value));
      },
    }),
    defineRoute({
      method: 'put',
      path: KEY_PATH,
      summary: 'Store a value (the body), optionally conditional and fenced',
      tag: 'dicts',
      access: WRITE,
      params: KeyParams,
      query: PutQuery,
      headers: PutHeaders,
      body: JsonValue,
      responses: {
        200: { description: 'stored', schema: VersionBody, headers: { ETag: 'the new version' } },
        201: {
          description: 'created (with If-None-Match: *)',
          schema: VersionBody,
          headers: { ETag: 'the new version' },
        },
      },
      problems: [409, 412, 413, 415],
      async handler({ params, query, headers, body, res }) {
        const ifVersion = ifVersionFrom(headers);
        const fence = fenceFrom(headers);
        const version = await counted(metrics, 'set', () =>
          baton.dict(params.dict).set(params.key, body, { ttlMs: query.ttlMs, ifVersion, fence }),
        );
        res.setHeader('ETag', etag(version));
        res.status(ifVersion === 0 ? 201 : 200).json({ version });
      },
    }),
    defineRoute({
      method: 'delete',
      path: KEY_PATH,
      summary: 'Delete one entry, optionally conditional and fenced',
      tag: 'dicts',
      access: WRITE,
      params: KeyParams,
      headers: DeleteHeaders,
      responses: { 204: { description: 'deleted' } },
      problems: [404, 409, 412],
      async handler({ params, headers, res }) {
        const ifVersion = ifVersionFrom(headers);
        const fence = fenceFrom(headers);
        const deleted = await counted(metrics, 'delete', () =>
          baton.dict(params.dict).delete(params.key, { ifVersion, fence }),
        );
        if (!deleted)
          throw new NotFoundError(`key ${JSON.stringify(params.key)} is not in dict "${params.dict}"`);
        res.status(204).end();
      },
    }),
    defineRoute({
      method: 'post',
      path: `${KEY_PATH}/incr`,
      summary: 'Add to a number atomically (absent counts as 0)',
      tag: 'dicts',
      access: WRITE,
      params: KeyParams,
      headers: FenceHeaders,
      body: IncrBody,
      emptyBodyAs: {},
      responses: { 200: { description: 'the number after adding', schema: IncrResultBody } },
      problems: [409],
      async handler({ params, headers, body, res }) {
        const fence = fenceFrom(headers);
        const result = await counted(metrics, 'incr', () =>
          baton.dict(params.dict).incrEntry(params.key, body.by ?? 1, { fence }),
        );
        res.json(result);
      },
    }),
    defineRoute({
      method: 'post',
      path: `${KEY_PATH}/set-if-absent`,
      summary: 'Store a value only if the key is absent; answers the value now stored (like setdefault)',
      tag: 'dicts',
      access: WRITE,
      params: KeyParams,
      headers: FenceHeaders,
      body: SetIfAbsentBody,
      responses: { 200: { description: 'the value now stored', schema: ValueBody } },
      problems: [409, 413],
      async handler({ params, headers, body, res }) {
        const fence = fenceFrom(headers);
        const value = await counted(metrics, 'setIfAbsent', () =>
          baton.dict(params.dict).setIfAbsent(params.key, body.value, { ttlMs: body.ttlMs, fence }),
        );
        res.json({ value });
      },
    }),
    defineRoute({
      method: 'post',
      path: `${KEY_PATH}/pop`,
      summary: 'Remove one entry and answer what it held, atomically',
      tag: 'dicts',
      access: WRITE,
      params: KeyParams,
      headers: FenceHeaders,
      responses: { 200: { description: 'the value it held', schema: ValueBody } },
      problems: [404, 409],
      async handler({ params, headers, res }) {
        const fence = fenceFrom(headers);
        const dict = baton.dict(params.dict);
        const value = await counted(metrics, 'pop', () => dict.pop(params.key, { fence }));
        if (value === undefined)
          throw new NotFoundError(`key ${JSON.stringify(params.key)} is not in dict "${params.dict}"`);
        res.json({ value });
      },
    }),
  ];
}
