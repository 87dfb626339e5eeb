import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../src/errors.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import type { KvResult, WatchEvent } from '../../src/kv/types.js';
import { as, b, Harness, s } from './helpers.js';

const keys = ['a', 'b', 'c', 'd'];
type Step = { kind: 'put'; key: string } | { kind: 'del'; key: string } | { kind: 'delAll' } | { kind: 'txn'; k1: string; k2: string };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...keys) }),
  fc.record({ kind: fc.constant('del' as const), key: fc.constantFrom(...keys) }),
  fc.constant({ kind: 'delAll' as const }),
  fc.record({ kind: fc.constant('txn' as const), k1: fc.constantFrom(...keys), k2: fc.constantFrom(...keys) }),
);

function run(h: Harness, st: Step, i: number): KvResult {
  switch (st.kind) {
    case 'put': return h.put(st.key, String(i));
    case 'del': return h.del(st.key);
    case 'delAll': return h.del('', { prefix: true });
    case 'txn': return h.run({ type: 'txn', compare: [], success: st.k1 === st.k2 ? [{ type: 'put', key: st.k1, value: b('t') }] : [{ type: 'put', key: st.k1, value: b('t') }, { type: 'delete', key: st.k2 }], failure: [] });
  }
}

const show = (e: WatchEvent) => `${e.revision} ${e.type} ${e.key}`;

describe('watch', () => {
  it('never skips or repeats an event, in (revision, key) order, however reads and writes interleave (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(step, fc.nat(3)), { minLength: 1, maxLength: 40 }), async (script) => {
        const h = new Harness();
        const w = h.sm.watch({ key: '', prefix: true }, { fromRevision: 1 });
        const got: string[] = [];
        let expected = 0;
        for (const [i, [st, pulls]] of script.entries()) {
          const r = run(h, st, i);
          expected += r.kind === 'txn' ? r.results.reduce((n, x) => n + (x.kind === 'delete' ? x.deleted : x.kind === 'put' ? 1 : 0), 0) : r.kind === 'delete' ? r.deleted : r.kind === 'put' ? 1 : 0;
          for (let p = 0; p < pulls && got.length < expected; p++) got.push(show((await w.next()).value as WatchEvent));
        }
        while (got.length < expected) got.push(show((await w.next()).value as WatchEvent));
        // A second watcher started afterwards from revision 1 sees exactly the same history.
        const replay = h.sm.watch({ key: '', prefix: true }, { fromRevision: 1 });
        const again: string[] = [];
        for (let i = 0; i < expected; i++) again.push(show((await replay.next()).value as WatchEvent));
        expect(again).toEqual(got);
        const order = got.map((g) => g.split(' ')).map(([rev, , key]) => [Number(rev), key!] as const);
        for (let i = 1; i < order.length; i++) {
          const [r0, k0] = order[i - 1]!;
          const [r1, k1] = order[i]!;
          expect(r1 > r0 || (r1 === r0 && k1 > k0)).toBe(true);
        }
        await w.return();
        await replay.return();
      }),
      { numRuns: 60 },
    );
  });

  it('events carry the value and the previous value; prefix filters; starting later skips earlier history', async () => {
    const h = new Harness();
    h.put('x/1', 'a');
    h.put('y/1', 'b');
    h.put('x/1', 'c');
    const w = h.sm.watch({ key: 'x/', prefix: true }, { fromRevision: 2 });
    const ev = (await w.next()).value as WatchEvent;
    expect(ev).toMatchObject({ type: 'put', revision: 3, key: 'x/1' });
    expect(s(ev.kv?.value)).toBe('c');
    expect(s(ev.prev?.value)).toBe('a');
    const pending = w.next();
    h.put('y/2', 'z');
    h.del('x/1');
    const del = (await pending).value as WatchEvent;
    expect(del).toMatchObject({ type: 'delete', revision: 5, kv: null });
    expect(s(del.prev?.value)).toBe('c');
  });

  it('a watcher that falls behind compaction gets CompactedError; default start is after the current revision', async () => {
    const h = new Harness({ maxHistoryEvents: 4 });
    const slow = h.sm.watch({ key: '', prefix: true }, { fromRevision: 1 });
    const fresh = h.sm.watch({ key: 'k', prefix: true });
    for (let i = 0; i < 10; i++) h.put(`k${i}`, String(i));
    expect(h.sm.compactRevision).toBeGreaterThan(0);
    await expect(slow.next()).rejects.toSatisfy((e: unknown) => isQuorumkitError(e, 'COMPACTED'));
    await expect(fresh.next()).rejects.toSatisfy((e: unknown) => isQuorumkitError(e, 'COMPACTED'));
    const late = h.sm.watch({ key: 'k', prefix: true });
    const p = late.next();
    h.put('k-new', 'v');
    expect(((await p).value as WatchEvent).key).toBe('k-new');
  });

  it('return() and an abort signal end a pending next()', async () => {
    const h = new Harness();
    const ac = new AbortController();
    const w = h.sm.watch({ key: '' , prefix: true }, { signal: ac.signal });
    const p = w.next();
    ac.abort();
    expect((await p).done).toBe(true);
    expect((await w.next()).done).toBe(true);
  });
});

function populated(): Harness & { leaseId: number; sessionId: number } {
  const h = new Harness();
  for (let i = 0; i < 50; i++) h.put(`key/${String(i).padStart(3, '0')}`, 'v'.repeat(i));
  h.del('key/010');
  h.put('key/001', 'again');
  const l = as(h.run({ type: 'leaseGrant', ttlMs: 500 }), 'lease');
  h.put('leased', 'x', l.id);
  const sid = as(h.run({ type: 'sessionOpen' }), 'session').id;
  h.run({ type: 'put', key: 'sess', value: b('1'), lease: 0 }, { session: sid, seq: 1, ack: 1 });
  return Object.assign(h, { leaseId: l.id, sessionId: sid });
}

describe('snapshot and restore', () => {
  it('streams in chunks and restores keys, history, leases and sessions; both replicas then behave identically', async () => {
    const h = populated();
    const chunks: Uint8Array[] = [];
    for await (const c of h.sm.snapshotChunks(256)) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(3);
    const copy = new KvStateMachine();
    await copy.restoreChunks(chunks);
    expect(copy.revision).toBe(h.sm.revision);
    expect(copy.appliedIndex).toBe(h.sm.appliedIndex);
    expect(copy.range({ key: '', prefix: true })).toEqual(h.sm.range({ key: '', prefix: true }));
    expect(copy.range({ key: '', prefix: true }, { revision: 20 })).toEqual(h.sm.range({ key: '', prefix: true }, { revision: 20 }));
    expect(copy.counts).toEqual(h.sm.counts);
    expect(copy.expiredLeases(1500)).toEqual(h.sm.expiredLeases(1500));
    // The same next commands give the same results: a session duplicate, a lease expiry, a write.
    const twin = new Harness();
    (twin as { sm: KvStateMachine }).sm = copy;
    twin.index = h.index;
    for (const x of [h, twin]) x.ts = 2000;
    const dupA = h.run({ type: 'put', key: 'sess', value: b('1'), lease: 0 }, { session: h.sessionId, seq: 1, ack: 1 });
    const dupB = twin.run({ type: 'put', key: 'sess', value: b('1'), lease: 0 }, { session: h.sessionId, seq: 1, ack: 1 });
    expect(dupB).toEqual(dupA);
    expect(dupA.kind).toBe('put');
    expect(copy.get('sess')!.version).toBe(1);
    expect(twin.run({ type: 'leaseExpire', ids: [h.leaseId] })).toEqual(h.run({ type: 'leaseExpire', ids: [h.leaseId] }));
    expect(copy.get('leased')).toBeNull();
    expect(h.sm.get('leased')).toBeNull();
    expect(twin.put('z', '1')).toEqual(h.put('z', '1'));
  });

  it('a snapshot stream is the state as of the call, whatever is applied while it is consumed', async () => {
    const h = populated();
    const stream = h.sm.snapshotChunks(128);
    const rev = h.sm.revision;
    h.put('later', 'x');
    h.del('key/002');
    const copy = new KvStateMachine();
    await copy.restoreChunks(stream);
    expect(copy.revision).toBe(rev);
    expect(copy.get('later')).toBeNull();
    expect(copy.get('key/002')).not.toBeNull();
  });

  it('the one-buffer snapshot() / restore() round-trips too, and watches resume on the restored replica', async () => {
    const h = populated();
    const copy = new KvStateMachine();
    const w = copy.watch({ key: 'key/', prefix: true }, { fromRevision: 1 });
    await copy.restore(await h.sm.snapshot());
    const first = (await w.next()).value as WatchEvent;
    expect(first.key).toBe('key/000');
    expect(copy.range({ key: 'key/', prefix: true }).count).toBe(49);
  });

  it('a truncated, reordered or corrupted stream is refused with DecodeError and the state is unchanged', async () => {
    const h = populated();
    const chunks: Uint8Array[] = [];
    for await (const c of h.sm.snapshotChunks(256)) chunks.push(c);
    const target = new Harness();
    target.put('mine', '1');
    const bad = [
      chunks.slice(0, -1),
      [chunks[1]!, chunks[0]!, ...chunks.slice(2)],
      [...chunks.slice(0, 2), Uint8Array.of(0x93, 1, 0xa1), ...chunks.slice(2)],
      [...chunks, chunks[1]!],
      [],
    ];
    for (const stream of bad) {
      await expect(target.sm.restoreChunks(stream)).rejects.toSatisfy((e: unknown) => isQuorumkitError(e, 'DECODE'));
      expect(target.val('mine')).toBe('1');
    }
  });
});
