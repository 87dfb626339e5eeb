import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/codec/msgpack.js';
import { encodeKvCommand } from '../../src/codec/kv.js';
import { isQuorumkitError } from '../../src/errors.js';
import type { KvExtension } from '../../src/kv/extension.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import type { Compare } from '../../src/kv/types.js';
import { as, b, Harness, s } from './helpers.js';

describe('KvStateMachine: put, get, delete', () => {
  it('a put writes at the Raft index as revision; version counts writes since creation', () => {
    const h = new Harness();
    const r1 = as(h.put('a', '1'), 'put');
    expect(r1).toMatchObject({ revision: 1, prev: null });
    h.put('b', 'x');
    const r3 = as(h.put('a', '2'), 'put');
    expect(r3.revision).toBe(3);
    expect(s(r3.prev?.value)).toBe('1');
    expect(h.sm.get('a')).toMatchObject({ createRevision: 1, modRevision: 3, version: 2, lease: 0 });
    expect(h.sm.revision).toBe(3);
  });

  it('a delete removes the key, and a later put starts a new incarnation', () => {
    const h = new Harness();
    h.put('a', '1');
    const d = as(h.del('a'), 'delete');
    expect(d).toMatchObject({ deleted: 1, revision: 2 });
    expect(h.sm.get('a')).toBeNull();
    expect(as(h.del('a'), 'delete')).toMatchObject({ deleted: 0, revision: 2 });
    h.put('a', '3');
    expect(h.sm.get('a')).toMatchObject({ createRevision: 4, version: 1 });
  });

  it('deletes by prefix and by range [key, end)', () => {
    const h = new Harness();
    for (const k of ['a/1', 'a/2', 'ab', 'b', 'c']) h.put(k, k);
    expect(as(h.del('a/', { prefix: true }), 'delete').deleted).toBe(2);
    expect(as(h.del('ab', { end: 'c' }), 'delete').prev.map((kv) => kv.key)).toEqual(['ab', 'b']);
    expect(h.sm.range({ key: '', prefix: true }).kvs.map((kv) => kv.key)).toEqual(['c']);
  });

  it('a write does not bump the revision when it changes nothing; a no-op index still counts as applied', () => {
    const h = new Harness();
    h.put('a', '1');
    h.del('zzz');
    expect(h.sm.revision).toBe(1);
    expect(h.sm.appliedIndex).toBe(2);
  });
});

describe('KvStateMachine: range', () => {
  it('returns keys in order, with limit, more and count', () => {
    const h = new Harness();
    for (const k of ['k3', 'k1', 'k2', 'j', 'l']) h.put(k, k);
    const r = h.sm.range({ key: 'k', prefix: true }, { limit: 2 });
    expect(r.kvs.map((kv) => kv.key)).toEqual(['k1', 'k2']);
    expect(r).toMatchObject({ more: true, count: 3, revision: 5 });
    expect(h.sm.range({ key: 'k1', end: 'l' }).kvs.map((kv) => kv.key)).toEqual(['k1', 'k2', 'k3']);
    expect(h.sm.range({ key: 'k2' }).kvs.map((kv) => kv.key)).toEqual(['k2']);
  });

  it('reads at a past revision see the state as of then, deletions included', () => {
    const h = new Harness();
    h.put('a', '1'); // 1
    h.put('b', '1'); // 2
    h.put('a', '2'); // 3
    h.del('b'); // 4
    const at2 = h.sm.range({ key: '', prefix: true }, { revision: 2 });
    expect(at2.kvs.map((kv) => `${kv.key}=${s(kv.value)}`)).toEqual(['a=1', 'b=1']);
    expect(h.sm.range({ key: '', prefix: true }, { revision: 4 }).kvs.map((kv) => s(kv.value))).toEqual(['2']);
  });

  it('a future revision is invalid input; a compacted one is a CompactedError', () => {
    const h = new Harness();
    h.put('a', '1');
    h.put('a', '2');
    h.put('a', '3');
    expect(() => h.sm.range({ key: 'a' }, { revision: 9 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(as(h.run({ type: 'compact', revision: 2 }), 'compact').compactRevision).toBe(2);
    expect(() => h.sm.range({ key: 'a' }, { revision: 2 })).toThrow(expect.objectContaining({ code: 'COMPACTED', compactRevision: 2 }));
    expect(s(h.sm.range({ key: 'a' }, { revision: 3 }).kvs[0]?.value)).toBe('3');
    expect(as(h.run({ type: 'compact', revision: 1 }), 'error').code).toBe('COMPACTED');
    expect(as(h.run({ type: 'compact', revision: 99 }), 'error').code).toBe('INVALID_INPUT');
  });

  it('compaction keeps each key\'s value as of the compacted revision', () => {
    const h = new Harness();
    h.put('a', '1'); // 1
    h.put('b', '1'); // 2
    h.del('b'); // 3
    h.put('a', '2'); // 4
    h.run({ type: 'compact', revision: 3 });
    expect(h.sm.range({ key: '', prefix: true }, { revision: 4 }).kvs.map((kv) => kv.key)).toEqual(['a']);
    expect(h.val('a')).toBe('2');
  });
});

describe('KvStateMachine: transactions', () => {
  it('runs success when every compare holds, failure otherwise, at one revision', () => {
    const h = new Harness();
    h.put('x', 'v1');
    const ok = as(h.run({
      type: 'txn',
      compare: [{ key: 'x', target: 'value', op: '=', value: b('v1') }, { key: 'y', target: 'createRevision', op: '=', value: 0 }],
      success: [{ type: 'put', key: 'x', value: b('v2') }, { type: 'put', key: 'y', value: b('new') }, { type: 'range', key: 'x' }],
      failure: [],
    }), 'txn');
    expect(ok.succeeded).toBe(true);
    expect(ok.revision).toBe(2);
    expect(h.sm.get('x')!.modRevision).toBe(2);
    expect(h.sm.get('y')!.modRevision).toBe(2);
    const read = ok.results[2];
    expect(read?.kind === 'range' && s(read.kvs[0]?.value)).toBe('v2');
    const no = as(h.run({ type: 'txn', compare: [{ key: 'x', target: 'version', op: '>', value: 5 }], success: [{ type: 'delete', key: 'x' }], failure: [{ type: 'range', key: 'x' }] }), 'txn');
    expect(no.succeeded).toBe(false);
    expect(h.val('x')).toBe('v2');
  });

  it('evaluates every compare target and operator', () => {
    const h = new Harness();
    h.put('k', 'm'); // rev 1
    h.put('k', 'n'); // rev 2, version 2
    const holds = (c: Compare) => as(h.run({ type: 'txn', compare: [c], success: [], failure: [] }), 'txn').succeeded;
    expect(holds({ key: 'k', target: 'version', op: '=', value: 2 })).toBe(true);
    expect(holds({ key: 'k', target: 'version', op: '!=', value: 2 })).toBe(false);
    expect(holds({ key: 'k', target: 'createRevision', op: '<', value: 2 })).toBe(true);
    expect(holds({ key: 'k', target: 'modRevision', op: '>', value: 1 })).toBe(true);
    expect(holds({ key: 'k', target: 'lease', op: '=', value: 0 })).toBe(true);
    expect(holds({ key: 'k', target: 'value', op: '>', value: b('m') })).toBe(true);
    expect(holds({ key: 'k', target: 'value', op: '<', value: b('m') })).toBe(false);
    expect(holds({ key: 'missing', target: 'value', op: '=', value: b('') })).toBe(true);
  });

  it('refuses overlapping writes, reserved keys and unknown leases: nothing of it applies', () => {
    const h = new Harness();
    h.put('a', '1');
    const bad = [
      [{ type: 'put', key: 'a', value: b('2') }, { type: 'put', key: 'a', value: b('3') }],
      [{ type: 'delete', key: 'a', prefix: true }, { type: 'put', key: 'ab', value: b('3') }],
      [{ type: 'put', key: 'b', value: b('2') }, { type: 'put', key: '\u0000x', value: b('3') }],
      [{ type: 'put', key: 'b', value: b('2'), lease: 77 }],
    ] as const;
    for (const success of bad) {
      const r = as(h.run({ type: 'txn', compare: [], success, failure: [] }), 'error');
      expect(r.code).toBe('INVALID_INPUT');
    }
    expect(h.sm.revision).toBe(1);
    expect(h.val('a')).toBe('1');
    expect(h.sm.get('b')).toBeNull();
  });
});

describe('KvStateMachine: leases', () => {
  it('keys attached to a lease go when it is revoked, at one revision', () => {
    const h = new Harness();
    const l = as(h.run({ type: 'leaseGrant', ttlMs: 1000 }), 'lease');
    expect(l).toMatchObject({ id: 1, ttlMs: 1000, expiresAt: 2000 });
    h.put('a', '1', l.id);
    h.put('b', '1', l.id);
    h.put('c', '1');
    h.put('b', '2'); // detached from the lease
    const r = as(h.run({ type: 'leaseRevoke', id: l.id }), 'revoke');
    expect(r).toMatchObject({ ids: [1], deleted: 1, revision: 6 });
    expect(h.sm.get('a')).toBeNull();
    expect(h.val('b')).toBe('2');
    expect(as(h.run({ type: 'leaseRevoke', id: l.id }), 'error').code).toBe('NOT_FOUND');
    expect(as(h.run({ type: 'put', key: 'z', value: b('1'), lease: l.id }), 'error').code).toBe('INVALID_INPUT');
  });

  it('expiry is decided by replicated time in the command; keepAlive pushes it back', () => {
    const h = new Harness();
    const l = as(h.run({ type: 'leaseGrant', ttlMs: 100 }), 'lease');
    h.put('a', '1', l.id);
    expect(h.sm.expiredLeases(1099)).toEqual([]);
    expect(h.sm.expiredLeases(1100)).toEqual([l.id]);
    h.ts = 1050;
    expect(as(h.run({ type: 'leaseKeepAlive', id: l.id }), 'lease').expiresAt).toBe(1150);
    // The leader saw it expired by its clock, but replicated time says it was kept alive: nothing happens.
    h.ts = 1120;
    expect(as(h.run({ type: 'leaseExpire', ids: [l.id] }), 'revoke').ids).toEqual([]);
    h.ts = 1150;
    expect(as(h.run({ type: 'leaseExpire', ids: [l.id] }), 'revoke')).toMatchObject({ ids: [l.id], deleted: 1 });
    expect(h.sm.get('a')).toBeNull();
    expect(h.sm.counts.leases).toBe(0);
  });

  it('replicated time never goes backwards', () => {
    const h = new Harness();
    h.ts = 5000;
    h.put('a', '1');
    h.ts = 10;
    const l = as(h.run({ type: 'leaseGrant', ttlMs: 10 }), 'lease');
    expect(l.expiresAt).toBe(5010);
    expect(h.sm.replicatedTime).toBe(5000);
    expect(as(h.run({ type: 'leaseGrant', ttlMs: 0 }), 'error').code).toBe('INVALID_INPUT');
  });
});

describe('KvStateMachine: sessions (exactly once)', () => {
  it('a retried command returns the recorded result and applies once', () => {
    const h = new Harness();
    const sid = as(h.run({ type: 'sessionOpen' }), 'session').id;
    const first = as(h.run({ type: 'put', key: 'a', value: b('1'), lease: 0 }, { session: sid, seq: 1, ack: 1 }), 'put');
    const again = as(h.run({ type: 'put', key: 'a', value: b('1'), lease: 0 }, { session: sid, seq: 1, ack: 1 }), 'put');
    expect(again).toEqual(first);
    expect(h.sm.get('a')!.version).toBe(1);
    // Once acknowledged, the result is forgotten and a replay is refused rather than applied.
    h.run({ type: 'put', key: 'b', value: b('1'), lease: 0 }, { session: sid, seq: 2, ack: 2 });
    expect(as(h.run({ type: 'put', key: 'a', value: b('1'), lease: 0 }, { session: sid, seq: 1, ack: 2 }), 'error').code).toBe('INVALID_INPUT');
    expect(h.sm.get('a')!.version).toBe(1);
  });

  it('sessions expire by replicated time; a command in an expired session is refused', () => {
    const h = new Harness({ sessionTtlMs: 1000 });
    const sid = as(h.run({ type: 'sessionOpen' }), 'session').id;
    const other = as(h.run({ type: 'sessionOpen' }), 'session').id;
    h.ts = 1900;
    h.run({ type: 'put', key: 'k', value: b('1'), lease: 0 }, { session: other, seq: 1, ack: 1 });
    h.ts = 2000;
    h.put('tick', '1');
    expect(h.sm.counts.sessions).toBe(1);
    expect(as(h.run({ type: 'put', key: 'a', value: b('1'), lease: 0 }, { session: sid, seq: 1, ack: 1 }), 'error').code).toBe('SESSION_EXPIRED');
    expect(h.sm.get('a')).toBeNull();
    expect(as(h.run({ type: 'sessionClose' }, { session: other, seq: 2, ack: 2 }), 'ok')).toBeTruthy();
    expect(h.sm.counts.sessions).toBe(0);
  });
});

describe('KvStateMachine: totality', () => {
  it('garbage, truncated or mistyped commands give error results and change nothing', () => {
    const h = new Harness();
    h.put('a', '1');
    const samples = [
      new Uint8Array(0),
      Uint8Array.of(0xc1),
      encodeValue([1, 1, 'ts', 0, 0, 0, 'k', b('v'), 0]),
      encodeValue([2, 1, 0, 0, 0, 0, 'k', b('v'), 0]),
      encodeValue([1, 99, 0, 0, 0, 0]),
      encodeValue([1, 3, 0, 0, 0, 0, [['k', 9, 0, 1]], [], []]),
      encodeValue({ a: 1 }),
    ];
    for (const cmd of samples) expect(h.sm.apply(cmd, { index: ++h.index, term: 1 }).kind).toBe('error');
    expect(h.sm.revision).toBe(1);
  });

  it('never throws on arbitrary bytes or arbitrary msgpack values (fast-check)', () => {
    const h = new Harness();
    const anyCmd = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.anything().map((v) => encodeValue(v)),
      fc.tuple(fc.constant(1), fc.integer({ min: 0, max: 12 }), fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything()).map((v) => encodeValue(v)),
    );
    fc.assert(
      fc.property(anyCmd, (cmd) => {
        const r = h.sm.apply(cmd, { index: ++h.index, term: 1 });
        expect(typeof r.kind).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});

describe('KvStateMachine: extensions', () => {
  const counter: KvExtension = {
    name: 'ctr',
    apply(payload, ctx) {
      if (payload === 'boom') return { ok: false, code: 'PRECONDITION_FAILED', message: 'no' };
      if (payload === 'escape') {
        ctx.put('user', b('x'));
        return { ok: true, value: null };
      }
      const cur = Number(s(ctx.get('\u0000ctr/n')?.value) ?? '0');
      ctx.put('\u0000ctr/n', b(String(cur + 1)));
      ctx.put('\u0000ctr/at', b(String(ctx.time)));
      return { ok: true, value: cur + 1 };
    },
  };

  it('writes its reserved keys atomically with replicated time; errors write nothing', () => {
    const h = new Harness({ extensions: [counter] });
    expect(as(h.run({ type: 'ext', name: 'ctr', payload: 1 }), 'ext').value).toBe(1);
    expect(as(h.run({ type: 'ext', name: 'ctr', payload: 1 }), 'ext')).toMatchObject({ value: 2, revision: 2 });
    expect(as(h.run({ type: 'ext', name: 'ctr', payload: 'boom' }), 'error').code).toBe('PRECONDITION_FAILED');
    expect(as(h.run({ type: 'ext', name: 'ctr', payload: 'escape' }), 'error').code).toBe('INTERNAL');
    expect(as(h.run({ type: 'ext', name: 'nope', payload: 1 }), 'error').code).toBe('INVALID_INPUT');
    expect(h.sm.get('user')).toBeNull();
    expect(h.sm.revision).toBe(2);
    // User ranges do not see reserved keys unless they ask for them; user writes cannot touch them.
    expect(h.sm.range({ key: '', prefix: true }).count).toBe(0);
    expect(h.sm.range({ key: '\u0000ctr/', prefix: true }).count).toBe(2);
    expect(as(h.del('', { prefix: true }), 'delete').deleted).toBe(0);
    expect(as(h.put('\u0000ctr/n', '9'), 'error').code).toBe('INVALID_INPUT');
  });

  it('rejects invalid options with InvalidConfigError', () => {
    expect(() => new KvStateMachine({ extensions: [counter, counter] })).toThrow(/distinct/);
    expect(() => new KvStateMachine({ sessionTtlMs: 0 })).toThrow(/sessionTtlMs: expected a positive integer/);
    expect(() => new KvStateMachine({ snapshotKeysPerTurn: 0 })).toThrow(/snapshotKeysPerTurn: expected a positive integer/);
    for (const bad of [{ maxHistoryEvents: -1 }, { snapshotKeysPerTurn: 1.5 }]) {
      let caught: unknown = null;
      try {
        new KvStateMachine(bad);
      } catch (e) {
        caught = e;
      }
      expect(isQuorumkitError(caught, 'INVALID_CONFIG')).toBe(true);
    }
  });

  it('an encoded command round-trips through the codec', () => {
    const h = new Harness();
    const cmd = encodeKvCommand({ ts: 1, session: 0, seq: 0, ack: 0 }, { type: 'delete', sel: { key: 'a', end: 'b' } });
    h.put('a1', 'x');
    expect(as(h.sm.apply(cmd, { index: ++h.index, term: 1 }), 'delete').deleted).toBe(1);
  });
});
