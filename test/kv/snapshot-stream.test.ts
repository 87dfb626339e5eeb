/**
 * A snapshot is captured at the call and encoded while later entries keep
 * applying: compactions, restores and writes during the encoding change
 * nothing in it, pruning waits for it, and a large state yields to the
 * event loop instead of blocking the node past an election timeout.
 */
import { describe, expect, it } from 'vitest';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { KeySpace } from '../../src/kv/store.js';
import { as, Harness } from './helpers.js';

async function drain(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

/** Fifty keys, each written `rounds` times. */
function churned(rounds: number): Harness {
  const h = new Harness();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < 50; i++) h.put(`key/${String(i).padStart(2, '0')}`, `${r}`);
  return h;
}

describe('snapshot streams against later writes', () => {
  it('a compaction above the captured revision while a stream is open leaves the stream the state as of the call', async () => {
    const h = churned(3);
    const reference = h.sm.snapshotChunks(128);
    const late = h.sm.snapshotChunks(128);
    const before = await drain(reference);
    const rev = h.sm.revision;
    for (let i = 0; i < 50; i += 2) h.del(`key/${String(i).padStart(2, '0')}`);
    for (let i = 1; i < 50; i += 2) h.put(`key/${String(i).padStart(2, '0')}`, 'new');
    as(h.run({ type: 'compact', revision: h.sm.revision }), 'compact');
    const a = new KvStateMachine();
    const b = new KvStateMachine();
    await a.restoreChunks(before);
    await b.restoreChunks(await drain(late));
    expect(b.revision).toBe(rev);
    expect(b.range({ key: '', prefix: true })).toEqual(a.range({ key: '', prefix: true }));
    for (const r of [60, 100, rev]) expect(b.range({ key: '', prefix: true }, { revision: r })).toEqual(a.range({ key: '', prefix: true }, { revision: r }));
    expect(b.range({ key: '', prefix: true }).count).toBe(50);
  });

  it('a restore while a stream is open does not leak the new state into it', async () => {
    const h = churned(2);
    const stream = h.sm.snapshotChunks(128);
    const other = churned(1);
    other.put('only-in-other', 'x');
    await h.sm.restore(await other.sm.snapshot());
    const copy = new KvStateMachine();
    await copy.restoreChunks(await drain(stream));
    expect(copy.get('only-in-other')).toBeNull();
    expect(new TextDecoder().decode(copy.get('key/07')!.value)).toBe('1');
  });

  it('an abandoned stream (return() before reading) lets pruning resume', async () => {
    const compactedSize = async (abandon: boolean): Promise<number> => {
      const h = churned(3);
      if (abandon) await h.sm.snapshotChunks(128)[Symbol.asyncIterator]().return?.();
      as(h.run({ type: 'compact', revision: h.sm.revision }), 'compact');
      return (await h.sm.snapshot()).length;
    };
    const full = (await churned(3).sm.snapshot()).length;
    const pruned = await compactedSize(false);
    expect(pruned).toBeLessThan(full);
    expect(await compactedSize(true)).toBe(pruned);
  });

  it('encoding a large state yields to the event loop between slices of keys', async () => {
    const h = new Harness();
    for (let i = 0; i < 5000; i++) h.put(`k/${i}`, 'v');
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      const bytes = await h.sm.snapshot();
      expect(turns).toBeGreaterThan(0);
      const copy = new KvStateMachine();
      turns = 0;
      await copy.restore(bytes);
      expect(turns).toBeGreaterThan(0);
      expect(copy.range({ key: 'k/', prefix: true }).count).toBe(5000);
    } finally {
      clearInterval(timer);
    }
  });
});

describe('KeySpace.capture', () => {
  const v = new Uint8Array(1);
  const lengths = (ks: KeySpace) => [...ks.histories()].map(([k, h]) => `${k}:${h.length}`);

  it('defers pruning while a view is open and prunes once the last view is released', () => {
    const ks = new KeySpace();
    for (let rev = 1; rev <= 6; rev++) {
      ks.put(rev % 2 === 0 ? 'a' : 'b', v, 0, rev);
      ks.commitEvents();
    }
    ks.delete('b', 7);
    ks.commitEvents();
    const v1 = ks.capture();
    const v2 = ks.capture();
    ks.compact(7);
    expect(lengths(ks)).toEqual(['a:3', 'b:4']);
    expect(v1.versions('a').map((x) => x.rev)).toEqual([2, 4, 6]);
    v1.release();
    v1.release();
    expect(lengths(ks)).toEqual(['a:3', 'b:4']);
    v2.release();
    expect(lengths(ks)).toEqual(['a:1']);
  });

  it('a view reads no version written after it', () => {
    const ks = new KeySpace();
    ks.put('a', v, 0, 1);
    const view = ks.capture();
    ks.put('a', v, 0, 2);
    ks.put('b', v, 0, 3);
    expect(view.keys).toEqual(['a']);
    expect(view.versions('a').map((x) => x.rev)).toEqual([1]);
    expect(view.revision).toBe(1);
    view.release();
  });
});
