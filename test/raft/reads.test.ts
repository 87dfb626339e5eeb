import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { NodeCluster, enc } from './node-cluster.js';

/** A clock whose timers stop firing while paused (a paused process), while time itself goes on. */
class PausableClock implements Clock {
  paused = false;
  private deferred: (() => void)[] = [];
  constructor(private readonly inner: Clock) {}
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(() => (this.paused ? this.deferred.push(fn) : fn()), ms);
  }
  clearTimeout(h: TimerHandle): void {
    this.inner.clearTimeout(h);
  }
  resume(): void {
    this.paused = false;
    const d = this.deferred;
    this.deferred = [];
    for (const fn of d) fn();
  }
}

describe('lease reads', () => {
  it('serve reads locally while the lease holds, with no heartbeat round per read', async () => {
    const c = new NodeCluster(['a', 'b', 'c'], { readMode: 'lease' });
    await c.start();
    const l = await c.waitForLeader();
    await c.settle(l.propose(enc('x')));
    await c.run(100);
    const sent = c.net.stats.sent;
    const r = await c.settle(l.read());
    expect(r.ok).toBe(true);
    expect(c.net.stats.sent).toBe(sent); // answered from the lease: nothing sent for it
    await c.stopAll();
  });

  it('an isolated leader stops serving lease reads before a new leader can commit (no stale read)', async () => {
    const c = new NodeCluster(['a', 'b', 'c'], { readMode: 'lease', requestTimeoutMs: 400 });
    await c.start();
    const old = await c.waitForLeader();
    await c.settle(old.propose(enc('v1')));
    c.net.isolate(old.id);
    const others = c.ids.filter((x) => x !== old.id);
    const next = await c.waitForLeader(5000, others);
    expect((await c.settle(next.propose(enc('v2')))).ok).toBe(true);
    // The new leader has committed v2: a read at the old leader must not return without it.
    const stale = await c.settle(old.linearizableRead((sm) => [...(sm as unknown as { applied: string[] }).applied]));
    expect(stale.ok).toBe(false);
    await c.stopAll();
  });

  it('a leader paused past its lease serves no stale lease read when it resumes', async () => {
    const pausable = new Map<string, PausableClock>();
    const c = new NodeCluster(['a', 'b', 'c'], { readMode: 'lease', requestTimeoutMs: 400 });
    // Rebuild the nodes with pausable clocks (same storage, nothing started yet).
    for (const id of c.ids) pausable.set(id, new PausableClock(c.clock));
    for (const id of c.ids) c.replaceClock(id, pausable.get(id)!);
    await c.start();
    const old = await c.waitForLeader();
    await c.settle(old.propose(enc('v1')));
    await c.run(100);
    pausable.get(old.id)!.paused = true;
    c.net.isolate(old.id);
    const others = c.ids.filter((x) => x !== old.id);
    const next = await c.waitForLeader(5000, others);
    expect((await c.settle(next.propose(enc('v2')))).ok).toBe(true);
    // Resume: the old leader's timers have not fired for a long time; a read arrives before any of them do.
    c.net.heal();
    pausable.get(old.id)!.paused = false;
    const read = old.linearizableRead((sm) => [...(sm as unknown as { applied: string[] }).applied]);
    pausable.get(old.id)!.resume();
    const r = await c.settle(read);
    if (r.ok) expect(r.value).toContain('v2');
    await c.stopAll();
  });

  it('rejects lease reads without CheckQuorum', () => {
    expect(() => new NodeCluster(['a'], { readMode: 'lease', checkQuorum: false })).toThrow(/checkQuorum/);
  });
});

describe('read batching', () => {
  it('reads asked for in one turn share one read request, at the leader and at a follower', async () => {
    const c = new NodeCluster(['a', 'b', 'c']);
    await c.start();
    const l = await c.waitForLeader();
    await c.settle(l.propose(enc('x')));
    const f = c.nodes.get(c.ids.find((id) => id !== l.id)!)!;
    for (const n of [l, f]) {
      // The core is internal; counting its readIndex calls is the direct way to see the batch.
      const core = (n as unknown as { core: { readIndex(ctx: number): unknown } }).core;
      let calls = 0;
      const inner = core.readIndex.bind(core);
      core.readIndex = (ctx) => { calls++; return inner(ctx); };
      const results = await Promise.all(Array.from({ length: 50 }, () => c.settle(n.read())));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(calls).toBe(1);
      const one = await c.settle(n.read());
      expect(one.ok).toBe(true);
      expect(calls).toBe(2);
    }
    await c.stopAll();
  });
});
