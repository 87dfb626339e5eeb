/** The digest exchange: what two members send each other, by how much their tables differ. */
import { describe, expect, it } from 'vitest';
import { envelopeSize, estimateSize, type GossipMsg } from '../../src/codec/gossip.js';
import type { CoreContext } from '../../src/gossip/context.js';
import { GossipCore } from '../../src/gossip/core.js';
import { openDigest } from '../../src/gossip/digest.js';

const meta = new Uint8Array(0);
const ctx = (core: GossipCore) => (core as unknown as { c: CoreContext }).c;

/** A member that learned `n` members (and its peer) by anti-entropy, so nothing waits to be gossiped. */
function member(id: string, peer: string, n: number): GossipCore {
  const core = new GossipCore({ id, pushPullIntervalMs: 0 });
  core.start(0);
  const rows: GossipMsg[] = [{ t: 'alive', id: peer, inc: 1, addr: peer, meta }];
  for (let i = 0; i < n; i++) rows.push({ t: 'alive', id: `m${i}`, inc: 1, addr: `m${i}`, meta });
  for (let k = 0; k < rows.length; k += 100) core.receive('seed', [{ t: 'syncResp', epoch: 1, seq: 1, lo: 0, hi: 1 }, ...rows.slice(k, k + 100)], 1);
  return core;
}

/** `b` learns `k` newer rows and `extra` members `a` never heard of. */
function diverge(b: GossipCore, k: number, extra = 0): void {
  const rows: GossipMsg[] = [];
  for (let i = 0; i < k; i++) rows.push({ t: 'alive', id: `m${i * 7}`, inc: 2, addr: `m${i * 7}`, meta });
  for (let i = 0; i < extra; i++) rows.push({ t: 'alive', id: `new${i}`, inc: 1, addr: `new${i}`, meta });
  for (let j = 0; j < rows.length; j += 50) b.receive('seed', [{ t: 'syncResp', epoch: 1, seq: 1, lo: 0, hi: 1 }, ...rows.slice(j, j + 50)], 1);
}

/** Run one exchange opened by `a`; returns the bytes and packets both sent. */
function exchange(a: GossipCore, b: GossipCore): { bytes: number; packets: number } {
  const cores = new Map([['a', a], ['b', b]]);
  openDigest(ctx(a), 'b', 'b');
  let queue = ctx(a).out.splice(0).map((p) => ({ from: 'a', ...p }));
  let bytes = 0;
  let packets = 0;
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const p of queue) {
      if (p.msgs[0]!.t !== 'digest') continue;
      packets++;
      bytes += envelopeSize('quorumkit', p.from) + p.msgs.reduce((s, m) => s + estimateSize(m), 0);
      const out = cores.get(p.to)!.receive(p.from, p.msgs, 1);
      next.push(...out.packets.map((q) => ({ from: p.to, ...q })));
    }
    queue = next;
  }
  return { bytes, packets };
}

const agree = (a: GossipCore, b: GossipCore) => {
  for (let top = 0; top < 32; top++) if (ctx(a).table.topHash(top) !== ctx(b).table.topHash(top)) return false;
  return true;
};

describe('anti-entropy by digest', () => {
  it('two members whose tables agree exchange one small packet, whatever N', () => {
    for (const n of [10, 1000, 5000]) {
      const a = member('a', 'b', n);
      const b = member('b', 'a', n);
      expect(agree(a, b)).toBe(true);
      const r = exchange(a, b);
      expect(r.packets).toBe(1);
      expect(r.bytes).toBeLessThan(220);
    }
  });

  it('tables that differ in k rows exchange O(k) bytes, and agree afterwards', () => {
    const cost: number[] = [];
    for (const k of [1, 4, 16, 64]) {
      const a = member('a', 'b', 2000);
      const b = member('b', 'a', 2000);
      diverge(b, k);
      expect(agree(a, b)).toBe(false);
      const r = exchange(a, b);
      expect(agree(a, b)).toBe(true);
      expect(a.member('m0')!.incarnation).toBe(2);
      cost.push(r.bytes);
      // About a leaf-hash block (128 B), its index and a few rows each way per difference, plus the opening.
      expect(r.bytes).toBeLessThanOrEqual(350 + 300 * k);
    }
    // Linear in k, far below the whole 2,000-row table (~40 KB).
    expect(cost[3]! / cost[1]!).toBeLessThan(20);
    expect(cost[3]!).toBeLessThan(20_000);
  });

  it('members a peer never heard of reach it, and both end equal', () => {
    const a = member('a', 'b', 500);
    const b = member('b', 'a', 500);
    diverge(b, 0, 5);
    diverge(a, 3);
    exchange(a, b);
    expect(agree(a, b)).toBe(true);
    expect(a.member('new4')?.state).toBe('alive');
    expect(b.member('m14')?.incarnation).toBe(2);
  });

  it('key/value entries are part of the digest', () => {
    const a = member('a', 'b', 100);
    const b = member('b', 'a', 100);
    b.receive('seed', [{ t: 'syncResp', epoch: 1, seq: 1, lo: 0, hi: 1 }, { t: 'kv', owner: 'm3', key: 'svc', ver: 5, value: new Uint8Array([7]) }], 1);
    expect(agree(a, b)).toBe(false);
    exchange(a, b);
    expect(a.kv('m3').get('svc')).toEqual(new Uint8Array([7]));
    expect(agree(a, b)).toBe(true);
  });
});
