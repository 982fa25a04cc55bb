/**
 * Txn (src/backends/etcd/txn.ts) reads a transaction's answer by slot name, so the decoders of
 * contender.ts, queues.ts and dict-commit.ts never count positions. This pins, on a real etcd,
 * that each name gets its own op's answer whatever sits before it: single ops, lists of any
 * length (empty ones included), and nested transactions in both of their branches.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EtcdClient } from '../../src/backends/etcd/client.js';
import { createIs, get, kvsOf, put, Txn } from '../../src/backends/etcd/txn.js';
import { parseEtcdUrl } from '../../src/backends/etcd/url.js';
import { batonEtcdUrl } from './helpers.js';

describe('etcd: a transaction answered by slot name', () => {
  let client: EtcdClient;
  let base: string;
  const key = (name: string) => Buffer.from(`${base}/${name}`);
  const value = (op: Parameters<typeof kvsOf>[0]) => kvsOf(op)[0]?.value.toString('utf8');

  beforeAll(async () => {
    client = new EtcdClient(parseEtcdUrl(new URL(batonEtcdUrl(inject('etcdUrl'))), {}));
    base = client.keys.pingKey().toString('utf8');
    await client.txn('setup', 'idempotent', {
      success: ['a', 'b', 'c', 'd'].map((k) => put(key(k), `value of ${k}`)),
    });
  });
  afterAll(() => client.close());

  function shape(present: string) {
    return new Txn({
      compare: [createIs(key(present), 'greater', 0)],
      success: {
        before: [get(key('a')), get(key('b'))],
        none: [],
        inner: new Txn({
          compare: [createIs(key('absent'), 'greater', 0)],
          success: { never: get(key('a')) },
          failure: { first: get(key('c')), rest: [get(key('d')), get(key('a'))] },
        }),
        after: get(key('d')),
      },
      failure: { only: get(key('b')) },
    });
  }

  it('gives each slot of the branch that ran its own answer, nested ones included', async () => {
    const txn = shape('a');
    const answer = txn.answer(await client.txn('slots', 'idempotent', txn.request));
    expect(answer.succeeded).toBe(true);
    if (!answer.succeeded) return;
    expect(answer.revision).toBeGreaterThan(0);
    expect(answer.got.before.map(value)).toEqual(['value of a', 'value of b']);
    expect(answer.got.none).toEqual([]);
    expect(answer.got.inner.succeeded).toBe(false);
    if (answer.got.inner.succeeded) return;
    expect(value(answer.got.inner.got.first)).toBe('value of c');
    expect(answer.got.inner.got.rest.map(value)).toEqual(['value of d', 'value of a']);
    expect(value(answer.got.after)).toBe('value of d');
  });

  it('reads the failure branch by its own names when the compares fail', async () => {
    const txn = shape('absent');
    const answer = txn.answer(await client.txn('slots', 'idempotent', txn.request));
    expect(answer.succeeded).toBe(false);
    if (answer.succeeded) return;
    expect(value(answer.got.only)).toBe('value of b');
    expect(() => txn.got({ header: answerHeader(), succeeded: false, responses: [] })).toThrow(
      /no condition/,
    );
  });
});

function answerHeader() {
  return { cluster_id: '0', member_id: '0', revision: '1', raft_term: '1' };
}
