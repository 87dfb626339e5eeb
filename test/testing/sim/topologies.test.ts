import { describe, expect, it } from 'vitest';
import { applyTopology, bridge, cloudflarePartialMesh, isolateOne, majorityMinority, oneWayIsolate, ringOfMajorities, TOPOLOGY_NAMES } from '../../../src/testing/sim/topologies.js';
import { EventLoop } from '../../../src/testing/sim/event-loop.js';
import { PacketFabric } from '../../../src/transport/fabric.js';
import { createPrng } from '../../../src/util/prng.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

function fabric() {
  const loop = new EventLoop();
  const f = new PacketFabric<string>(loop.clock(), createPrng(1));
  for (const id of ids) f.attach(id, () => {});
  return { loop, f };
}

/** Who `a` can send to (excluding itself). */
const reach = (f: PacketFabric<string>, a: string): string[] => ids.filter((b) => b !== a && !f.isCut(a, b));
const symmetric = (f: PacketFabric<string>): boolean => ids.every((a) => ids.every((b) => f.isCut(a, b) === f.isCut(b, a)));

describe('topologies', () => {
  it('isolate-one cuts the victim off both ways and leaves the rest whole', () => {
    const { f } = fabric();
    const r = isolateOne(f, ids, 'n3');
    expect(reach(f, 'n3')).toEqual([]);
    expect(ids.filter((i) => i !== 'n3').every((i) => f.isCut(i, 'n3') && reach(f, i).length === 3)).toBe(true);
    expect(r.cuts).toHaveLength(8);
    expect(r.description).toBe('isolate n3');
  });

  it('majority-minority separates the groups and refuses a "minority" that is not one', () => {
    const { f } = fabric();
    majorityMinority(f, ids, ['n1', 'n2']);
    expect(reach(f, 'n1')).toEqual(['n2']);
    expect(reach(f, 'n4')).toEqual(['n3', 'n5']);
    expect(symmetric(f)).toBe(true);
    expect(() => majorityMinority(fabric().f, ids, ['n1', 'n2', 'n3'])).toThrow(/fewer than half/);
    // Default minority: the largest minority, ⌊(n−1)/2⌋ = 2 of 5.
    const d = fabric().f;
    majorityMinority(d, ids);
    expect(reach(d, 'n1')).toEqual(['n2']);
  });

  it('ring-of-majorities: everyone sees a majority, no two see the same one', () => {
    for (const n of [5, 7]) {
      const nodes = ids.concat(['n6', 'n7']).slice(0, n);
      const loop = new EventLoop();
      const f = new PacketFabric<string>(loop.clock(), createPrng(1));
      ringOfMajorities(f, nodes);
      const views = nodes.map((a) => [a, ...nodes.filter((b) => b !== a && !f.isCut(a, b))].sort().join(','));
      for (const v of views) expect(v.split(',').length).toBeGreaterThan(n / 2);
      expect(new Set(views).size).toBe(n);
      expect(nodes.every((a) => nodes.some((b) => a !== b && f.isCut(a, b)))).toBe(true);
    }
    const { f } = fabric();
    ringOfMajorities(f, ids);
    expect(reach(f, 'n1')).toEqual(['n2', 'n5']);
  });

  it('bridge joins two sides that cannot talk through one node', () => {
    const { f } = fabric();
    const r = bridge(f, ids);
    expect(r.description).toBe('[n1 n2] - n3 - [n4 n5]');
    expect(reach(f, 'n3')).toEqual(['n1', 'n2', 'n4', 'n5']);
    expect(reach(f, 'n1')).toEqual(['n2', 'n3']);
    expect(reach(f, 'n5')).toEqual(['n3', 'n4']);
  });

  it('the Cloudflare partial mesh has exactly its five links', () => {
    const { f } = fabric();
    cloudflarePartialMesh(f, ids);
    expect(ids.map((a) => `${a}:${reach(f, a).join(',')}`)).toEqual(['n1:n2,n3', 'n2:n1,n3,n4', 'n3:n1,n2,n5', 'n4:n2', 'n5:n3']);
    expect(symmetric(f)).toBe(true);
    expect(() => cloudflarePartialMesh(fabric().f, ids.slice(0, 4))).toThrow(/expected 5/);
  });

  it('one-way cuts make a deaf or a mute node, and packets follow the cuts', async () => {
    const { loop, f } = fabric();
    oneWayIsolate(f, ids, 'n1', 'in');
    expect(reach(f, 'n1')).toHaveLength(4);
    expect(ids.filter((b) => b !== 'n1').every((b) => f.isCut(b, 'n1'))).toBe(true);
    const got: string[] = [];
    f.attach('n1', (from, p) => got.push(`n1<-${from}:${p}`));
    f.attach('n2', (from, p) => got.push(`n2<-${from}:${p}`));
    f.send('n1', 'n2', 'out');
    f.send('n2', 'n1', 'in');
    loop.runFor(10);
    expect(got).toEqual(['n2<-n1:out']);
    f.heal();
    f.send('n2', 'n1', 'in');
    loop.runFor(10);
    expect(got).toEqual(['n2<-n1:out', 'n1<-n2:in']);
    const mute = fabric().f;
    oneWayIsolate(mute, ids, 'n4', 'out');
    expect(reach(mute, 'n4')).toEqual([]);
    expect(mute.isCut('n1', 'n4')).toBe(false);
  });

  it('applyTopology applies every named topology to a seeded arrangement, the same for the same seed', () => {
    for (const name of TOPOLOGY_NAMES) {
      const a = applyTopology(fabric().f, ids, name, createPrng(9));
      const b = applyTopology(fabric().f, ids, name, createPrng(9));
      expect(a).toEqual(b);
      expect(a.cuts.length).toBeGreaterThan(0);
    }
  });
});

describe('PacketFabric corruption', () => {
  it('corrupts byte packets in copies, never the sender\'s buffer, and counts them', () => {
    const loop = new EventLoop();
    const f = new PacketFabric<Uint8Array>(loop.clock(), createPrng(4), { corrupt: 1 });
    const got: Uint8Array[] = [];
    f.attach('b', (_from, p) => got.push(p));
    const sent = Array.from({ length: 50 }, (_, i) => new Uint8Array(16).fill(i));
    for (const p of sent) f.send('a', 'b', p);
    loop.runFor(1);
    expect(got).toHaveLength(50);
    got.forEach((p, i) => expect(p).not.toEqual(sent[i]));
    sent.forEach((p, i) => expect(p.every((x) => x === i)).toBe(true));
    expect(f.stats.corrupted).toBe(50);
  });

  it('uses a custom corrupter for other packet types, per link', () => {
    const loop = new EventLoop();
    const f = new PacketFabric<{ v: number }>(loop.clock(), createPrng(4));
    f.setCorrupter((p) => ({ v: -p.v }));
    f.setLink('a', 'b', { corrupt: 1 });
    const got: string[] = [];
    f.attach('b', (from, p) => got.push(`${from}:${p.v}`));
    f.attach('c', (from, p) => got.push(`c<-${from}:${p.v}`));
    f.send('a', 'b', { v: 1 });
    f.send('a', 'c', { v: 2 });
    loop.runFor(1);
    expect(got.sort()).toEqual(['a:-1', 'c<-a:2']);
  });

  it('changes nothing when corruption is off: same delivery times as a fabric that never heard of it', () => {
    const times = (faults: object) => {
      const loop = new EventLoop();
      const f = new PacketFabric<number>(loop.clock(), createPrng(8), { drop: 0.2, duplicate: 0.2, minDelayMs: 1, maxDelayMs: 30, ...faults });
      const out: string[] = [];
      f.attach('b', (_from, p) => out.push(`${p}@${loop.now.toFixed(3)}`));
      for (let i = 0; i < 100; i++) f.send('a', 'b', i);
      loop.runFor(100);
      return out;
    };
    expect(times({ corrupt: 0 })).toEqual(times({}));
    expect(times({ corrupt: 0.5 })).not.toEqual(times({}));
  });
});

describe('PacketFabric.drainedAt', () => {
  it('is when the last packet in flight arrives, also after the slow link is healed', () => {
    const loop = new EventLoop();
    const f = new PacketFabric<string>(loop.clock(), createPrng(2), { minDelayMs: 1, maxDelayMs: 5 });
    const arrivals: number[] = [];
    f.attach('a', () => {});
    f.attach('b', () => arrivals.push(loop.now));
    f.setLink('a', 'b', { minDelayMs: 700, maxDelayMs: 750 });
    for (let i = 0; i < 20; i++) f.send('a', 'b', `p${i}`);
    f.clearLinks();
    f.send('a', 'b', 'fast');
    expect(f.drainedAt).toBeGreaterThanOrEqual(700);
    loop.runFor(1000);
    expect(arrivals).toHaveLength(21);
    expect(Math.max(...arrivals)).toBe(f.drainedAt);
  });
});
