/** The probe ring: one order everywhere, each member probed once a period, round-robin kept. */
import { describe, expect, it } from 'vitest';
import { ALIVE, DEAD, IdInterner, MemberTable, SUSPECT } from '../../src/gossip/members.js';
import { ProbeRing } from '../../src/gossip/ring.js';
import { GossipSim } from '../../src/gossip/testing.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

function ringOf(ids: readonly string[], interner = new IdInterner()): { ring: ProbeRing; interner: IdInterner } {
  const ring = new ProbeRing(interner);
  for (const id of ids) ring.add(interner.intern(id));
  return { ring, interner };
}

const order = (r: ProbeRing, ids: IdInterner) => Array.from({ length: r.length }, (_, k) => ids.idOf(r.get(k)));

describe('ProbeRing', () => {
  it('has the same order whatever order members were learned in and numbered', () => {
    const a = ringOf(names(300));
    const b = ringOf([...names(300)].reverse());
    expect(order(b.ring, b.interner)).toEqual(order(a.ring, a.interner));
    a.ring.add(a.interner.lookup('m5')!); // no duplicates
    expect(a.ring.length).toBe(300);
  });

  it('each period, every member is probed by exactly one other; over M − 1 periods each probes every other once', () => {
    const m = 57;
    const { ring, interner } = ringOf(names(m));
    const all = names(m).map((id) => interner.lookup(id)!);
    const seen = new Map<number, Set<number>>(all.map((i) => [i, new Set()]));
    for (let period = 1000; period < 1000 + m - 1; period++) {
      const probed = new Set<number>();
      for (const self of all) {
        const t = ring.targetOf(self, period)!;
        expect(t).not.toBe(self);
        probed.add(t);
        seen.get(self)!.add(t);
      }
      expect(probed.size).toBe(m);
    }
    for (const self of all) expect(seen.get(self)!.size).toBe(m - 1);
  });

  it('has no target when alone or off the ring', () => {
    const { ring, interner } = ringOf(['a']);
    expect(ring.targetOf(interner.lookup('a')!, 3)).toBeUndefined();
    expect(ring.targetOf(interner.intern('b'), 3)).toBeUndefined();
  });

  it('is kept by the member table: live (alive or suspect) members only, copied with the rows', () => {
    const ids = new IdInterner();
    const t = new MemberTable(ids);
    for (let i = 0; i < 50; i++) t.set(ids.intern(`x${i}`), ALIVE, 1, 0);
    t.set(3, SUSPECT, 1, 1);
    expect(t.ring.length).toBe(50);
    t.set(3, DEAD, 1, 2);
    t.set(4, DEAD, 1, 2);
    t.forget(5);
    expect(t.ring.length).toBe(47);
    expect([3, 4, 5].map((i) => t.ring.indexOf(i))).toEqual([-1, -1, -1]);
    t.set(4, ALIVE, 2, 3);
    expect(t.ring.indexOf(4)).toBeGreaterThanOrEqual(0);
    const copy = new MemberTable(ids);
    copy.copyRowsFrom(t);
    expect(Array.from({ length: 48 }, (_, k) => copy.ring.get(k))).toEqual(Array.from({ length: 48 }, (_, k) => t.ring.get(k)));
  });
});

describe('probing on the ring', () => {
  it('in a steady 100-member cluster nobody goes unprobed for two probe intervals (with shuffled orders: 8.1 s at this seed)', () => {
    const sim = new GossipSim({ seed: 7 });
    const ids = sim.addMany(100, 'n');
    sim.run(3000);
    const last = new Map<string, number>();
    let longest = 0;
    const send = sim.fabric.send.bind(sim.fabric);
    sim.fabric.send = (from, to, p) => {
      const m = p.msgs[0];
      if (m?.t === 'ping' && m.target === to) {
        longest = Math.max(longest, sim.now - (last.get(to) ?? sim.now));
        last.set(to, sim.now);
      }
      return send(from, to, p);
    };
    sim.run(30_000);
    expect(last.size).toBe(ids.length);
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeLessThan(2000);
  });
});
