/** The simulator's compact tables: copying preloaded tables, in-place list reuse, growth. */
import { describe, expect, it } from 'vitest';
import type { CoreContext } from '../../src/gossip/context.js';
import { GossipCore } from '../../src/gossip/core.js';
import { retransmitBudget } from '../../src/gossip/broadcast-queue.js';
import { IntList } from '../../src/gossip/int-list.js';
import { IdInterner, MemberTable } from '../../src/gossip/members.js';
import { GossipSim } from '../../src/gossip/testing.js';

const ctx = (core: GossipCore) => (core as unknown as { c: CoreContext }).c;

describe('IntList', () => {
  it('filters into a reused list and copies independently', () => {
    const a = new IntList();
    for (let i = 0; i < 100; i++) a.push(i);
    const out = new IntList(2);
    out.push(999);
    const even = a.filter((v) => v % 2 === 0, out);
    expect(even).toBe(out);
    expect(even.toArray()).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i));
    const b = new IntList();
    b.copyFrom(a);
    b.push(100);
    b.set(0, -1);
    expect(a.length).toBe(100);
    expect(a.get(0)).toBe(0);
    expect(b.length).toBe(101);
  });
});

describe('MemberTable', () => {
  it('grows once to every id the shared interner knows, and copies rows, hashes and counts', () => {
    const ids = new IdInterner();
    for (let i = 0; i < 1000; i++) ids.intern(`m${i}`);
    const a = new MemberTable(ids);
    for (let i = 0; i < 1000; i += 3) a.set(i, 1, 2, 5);
    const b = new MemberTable(ids);
    b.set(7, 3, 9, 1);
    b.copyRowsFrom(a);
    expect(b.liveCount).toBe(a.liveCount);
    expect(b.seq).toBe(a.seq);
    expect(b.state(7)).toBe(0); // its own row before the copy is gone
    for (let top = 0; top < 32; top++) expect(b.topHash(top)).toBe(a.topHash(top));
    expect(b.known.toArray()).toEqual(a.known.toArray());
    b.set(998, 1, 1, 6); // the copy is b's own: writing it leaves a alone
    expect(a.state(998)).toBe(0);
    expect(b.liveCount).toBe(a.liveCount + 1);
  });

  it('a member learned after the table was sized still fits (geometric growth)', () => {
    const ids = new IdInterner();
    const t = new MemberTable(ids);
    for (let i = 0; i < 5000; i++) t.set(ids.intern(`x${i}`), 1, 1, 0);
    expect(t.liveCount).toBe(5000);
    expect(t.state(4999)).toBe(1);
  });
});

describe('GossipSim.addMany', () => {
  it('gives every member the same view a row-by-row preload gives', () => {
    const sim = new GossipSim({ seed: 1 });
    const ids = sim.addMany(40);
    const ref = new GossipCore({ id: 'n5' }, { interner: sim.interner });
    ref.start(0);
    ref.preload(ids, 0);
    for (const id of ['n0', 'n5', 'n39']) {
      const core = sim.get(id).core;
      expect(core.liveCount).toBe(40);
      for (const other of ids) expect(core.stateOf(other)).toBe(1);
      expect(core.members().map((m) => m.incarnation)).toEqual(Array(40).fill(1));
      for (let top = 0; top < 32; top++) expect(ctx(core).table.topHash(top)).toBe(ctx(ref).table.topHash(top));
    }
    sim.run(10_000);
    expect(sim.converged()).toBe(true);
  });
});

describe('gossip rounds', () => {
  it('give a lone update exactly its eager third of transmissions, not whole rounds of fanout', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    const core = new GossipCore({ id: 'm0', pushPullIntervalMs: 0, seed: 3 });
    core.start(0);
    core.preload(ids, 0);
    let now = 0;
    for (; now < 3000; now = core.nextDeadline()) core.tick(now); // settle the first probes
    let rounds = 0;
    let others = 0;
    const count = (out: ReturnType<GossipCore['tick']>) => {
      for (const p of out.packets) if (p.msgs.some((m) => m.t === 'kv')) p.msgs[0]!.t === 'kv' ? rounds++ : others++;
    };
    count(core.setKv('k', new Uint8Array(8), now));
    for (const end = now + 3000; now < end; now = core.nextDeadline()) count(core.tick(now));
    const eager = Math.ceil(retransmitBudget(1000, 0.2, 0.9999) / 3);
    expect(rounds).toBeLessThanOrEqual(eager); // 7 at N = 1,000; whole rounds of 3 made it 9
    expect(rounds + others).toBeGreaterThanOrEqual(eager);
  });
});
