import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../src/errors.js';
import { Awareness } from '../../src/gossip/awareness.js';
import { BroadcastQueue, retransmitBudget } from '../../src/gossip/broadcast-queue.js';
import { GOSSIP_DEFAULTS, resolveGossipOptions } from '../../src/gossip/config.js';
import { checkShare, minSuspicionTimeout, Suspicion, suspicionTimeout } from '../../src/gossip/suspicion.js';
import { indirectWindow, relayNackDelay } from '../../src/gossip/probe.js';
import { estimateSize, type AliveMsg } from '../../src/codec/gossip.js';
import fc from 'fast-check';
import { DEAD, IdInterner, LEFT, MemberTable } from '../../src/gossip/members.js';

const alive = (id: string, inc = 1): AliveMsg => ({ t: 'alive', id, inc, addr: id, meta: new Uint8Array(0) });

describe('suspicion maths (Lifeguard)', () => {
  it('starts at the maximum and reaches the minimum after k confirmations', () => {
    expect(suspicionTimeout(0, 3, 1000, 6000)).toBe(6000);
    expect(suspicionTimeout(3, 3, 1000, 6000)).toBe(1000);
    const t1 = suspicionTimeout(1, 3, 1000, 6000);
    const t2 = suspicionTimeout(2, 3, 1000, 6000);
    expect(t1).toBeLessThan(6000);
    expect(t2).toBeLessThan(t1);
    // Logarithmic: the first confirmation removes half the span when k = 3.
    expect(t1).toBe(3500);
  });

  it('never goes below the minimum, and k = 0 means the minimum at once', () => {
    expect(suspicionTimeout(10, 3, 1000, 6000)).toBe(1000);
    expect(suspicionTimeout(0, 0, 1000, 6000)).toBe(1000);
  });

  it('minimum grows with log10 of the cluster size, floored at n = 10', () => {
    expect(minSuspicionTimeout(4, 2, 1000)).toBe(4000);
    expect(minSuspicionTimeout(4, 1000, 1000)).toBeCloseTo(12_000);
  });

  it('counts each confirmer once and not the starter', () => {
    const s = new Suspicion('a', 2, 1000, 6000, 100);
    expect(s.deadline()).toBe(6100);
    expect(s.confirm('a')).toBe(false);
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('b')).toBe(false);
    expect(s.confirmations).toBe(1);
    expect(s.deadline()).toBeLessThan(6100);
    expect(s.confirm('c')).toBe(true);
    expect(s.deadline()).toBe(1100);
    expect(s.confirm('d')).toBe(false); // k reached
  });
});

describe('suspect checks and probe deadlines', () => {
  it('about 4k members check a suspect themselves: all of them in a small cluster, a shrinking share in a large one', () => {
    expect(checkShare(3, 10)).toBe(1);
    expect(checkShare(3, 100)).toBeCloseTo(12 / 98);
    expect(checkShare(3, 1000) * 998).toBeCloseTo(12);
    expect(checkShare(0, 1000)).toBe(0);
  });

  it('a picked member checks once, never its own suspicion, and not once k confirmations are in', () => {
    const s = new Suspicion('a', 2, 1000, 6000, 0);
    expect(s.wantsProbe('b')).toBe(false); // not picked
    s.willCheck = true;
    expect(s.wantsProbe('a')).toBe(false); // the accuser
    expect(s.wantsProbe('b')).toBe(true);
    s.confirm('c');
    s.confirm('d');
    expect(s.wantsProbe('b')).toBe(false); // k reached
  });

  it('the indirect phase fits the protocol period and the relay nacks before it ends', () => {
    const lan = resolveGossipOptions({ id: 'a' });
    expect(indirectWindow(lan)).toBe(300);
    expect(relayNackDelay(lan)).toBe(240);
    const wan = resolveGossipOptions({ id: 'a', profile: 'wan' });
    expect(wan.probeTimeoutMs + indirectWindow(wan)).toBeLessThanOrEqual(wan.probeIntervalMs);
    const tight = resolveGossipOptions({ id: 'a', probeIntervalMs: 1000, probeTimeoutMs: 900 });
    expect(indirectWindow(tight)).toBe(100);
    expect(relayNackDelay(tight)).toBeLessThan(indirectWindow(tight));
  });
});

describe('awareness (Lifeguard local health)', () => {
  it('scales timeouts by score + 1 and clamps to [0, max - 1]', () => {
    const a = new Awareness(8);
    expect(a.scale(500)).toBe(500);
    a.apply(3);
    expect(a.scale(500)).toBe(2000);
    a.apply(100);
    expect(a.score).toBe(7);
    a.apply(-100);
    expect(a.score).toBe(0);
  });
});

describe('broadcast queue', () => {
  it('sends fewest-transmitted first and retires items at the limit', () => {
    const q = new BroadcastQueue();
    q.push('m:a', alive('a'));
    expect(q.take(1000, 1, 2).length).toBe(1);
    q.push('m:b', alive('b'));
    const two = q.take(1000, 1, 2);
    expect(two.map((m) => (m as AliveMsg).id)).toEqual(['b', 'a']);
    expect(q.size).toBe(1); // a retired after 2 sends
    expect(q.take(1000, 1, 2).map((m) => (m as AliveMsg).id)).toEqual(['b']);
    expect(q.size).toBe(0);
  });

  it('replaces an older item about the same subject and resets its count', () => {
    const q = new BroadcastQueue();
    q.push('m:a', alive('a', 1));
    q.take(1000, 1, 5);
    q.push('m:a', alive('a', 2));
    expect(q.size).toBe(1);
    expect((q.take(1000, 1, 5)[0] as AliveMsg).inc).toBe(2);
  });

  it('respects the byte budget', () => {
    const q = new BroadcastQueue();
    for (let i = 0; i < 100; i++) q.push(`m:${i}`, alive(`member-${i}`));
    const got = q.take(200, 1, 5);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(10);
  });

  it('agrees with a plain-list model under random pushes, removes and takes', () => {
    // The model: items with their transmit count and when they entered that count's bucket;
    // a take walks them by (count, entry order), skipping what does not fit or is in the packet.
    interface M { key: string; msg: AliveMsg; transmits: number; since: number; packet: number }
    const op = fc.oneof(
      fc.record({ k: fc.constant('push' as const), key: fc.integer({ min: 0, max: 12 }), len: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ k: fc.constant('remove' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ k: fc.constant('take' as const), bytes: fc.integer({ min: 0, max: 400 }), limit: fc.integer({ min: 1, max: 6 }), packet: fc.integer({ min: 1, max: 3 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const q = new BroadcastQueue();
      let model: M[] = [];
      let clock = 0;
      for (const o of ops) {
        if (o.k === 'push') {
          model = model.filter((m) => m.key !== `m:${o.key}`);
          const msg = alive('x'.repeat(o.len), o.key);
          model.push({ key: `m:${o.key}`, msg, transmits: 0, since: clock++, packet: 0 });
          q.push(`m:${o.key}`, msg);
        } else if (o.k === 'remove') {
          model = model.filter((m) => m.key !== `m:${o.key}`);
          q.remove(`m:${o.key}`);
        } else {
          const got = q.take(o.bytes, 2, o.limit, [], o.packet);
          let left = o.bytes;
          const want: M[] = [];
          for (const m of [...model].sort((a, b) => a.transmits - b.transmits || a.since - b.since)) {
            if (left <= 0) break;
            const cost = estimateSize(m.msg) + 2;
            if (cost > left || m.packet === o.packet) continue;
            left -= cost;
            want.push(m);
            if (left < 16) break;
          }
          expect(got).toEqual(want.map((m) => m.msg));
          for (const m of want) {
            m.packet = o.packet;
            m.transmits++;
            m.since = clock++;
          }
          model = model.filter((m) => !want.includes(m) || m.transmits < o.limit);
        }
        expect(q.size).toBe(model.length);
        expect(q.fresh).toBe(model.filter((m) => m.transmits === 0).length);
        expect(q.countBelow(2)).toBe(model.filter((m) => m.transmits < 2).length);
      }
    }));
  });
});

describe('retransmit budget', () => {
  it('matches the documented values at 20% loss, 0.9999', () => {
    const r = (n: number) => retransmitBudget(n, 0.2, 0.9999);
    expect([r(2), r(9), r(100), r(1000), r(10_000)]).toEqual([6, 14, 18, 21, 24]);
  });

  it('satisfies its own bound for every N from 2 to 5000', () => {
    for (let n = 2; n <= 5000; n++) {
      const R = retransmitBudget(n, 0.2, 0.9999);
      const q = 0.8;
      const miss = (n - 1) * Math.pow(1 - q / (n - 1), (n - 1) * R);
      expect(miss).toBeLessThanOrEqual(1e-4);
      if (R > 1) expect((n - 1) * Math.pow(1 - q / (n - 1), (n - 1) * (R - 1))).toBeGreaterThan(1e-4);
    }
  });
});

describe('options resolver', () => {
  it('fills LAN and WAN defaults', () => {
    expect(resolveGossipOptions({ id: 'a' }).probeIntervalMs).toBe(1000);
    expect(resolveGossipOptions({ id: 'a', profile: 'wan' }).probeIntervalMs).toBe(GOSSIP_DEFAULTS.wan.probeIntervalMs);
    expect(Object.isFrozen(GOSSIP_DEFAULTS.lan)).toBe(true);
  });

  it('rejects bad fields and relations with "expected … got …"', () => {
    const bad = [
      { id: '' },
      { id: 'a', probeTimeoutMs: 2000 },
      { id: 'a', gossipFanout: 0 },
      { id: 'a', retransmitDesignLoss: 1.5 },
      { id: 'a', maxPacketBytes: 100 },
      { id: 'a', meta: new Uint8Array(1000) },
      { id: 'a', maxPacketBytes: 512, maxMetaBytes: 512 },
    ];
    for (const o of bad) {
      let err: unknown;
      try { resolveGossipOptions(o); } catch (e) { err = e; }
      expect(isQuorumkitError(err, 'INVALID_CONFIG')).toBe(true);
      expect(String((err as Error).message)).toMatch(/expected .* got /);
    }
  });
});

describe('member table', () => {
  it('keeps the list of dead and departed members equal to the rows in those states, and the ring to the live ones', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(30), fc.integer({ min: -1, max: 4 })), { maxLength: 200 }), (ops) => {
      const ids = new IdInterner();
      for (let i = 0; i <= 30; i++) ids.intern(`m${i}`);
      const t = new MemberTable(ids);
      let now = 0;
      for (const [i, st] of ops) {
        now++;
        if (st === -1) t.forget(i);
        else if (st > 0) t.set(i, st, now, now);
      }
      const rows = Array.from({ length: 31 }, (_, i) => i);
      expect(t.down.toArray().sort((a, b) => a - b)).toEqual(rows.filter((i) => t.state(i) === DEAD || t.state(i) === LEFT));
      expect(t.liveCount).toBe(rows.filter((i) => t.isLive(i)).length);
    }));
  });
});
