import { describe, expect, it } from 'vitest';
import { NodeCluster, enc } from './node-cluster.js';

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

  it('rejects lease reads without CheckQuorum', () => {
    expect(() => new NodeCluster(['a'], { readMode: 'lease', checkQuorum: false })).toThrow(/checkQuorum/);
  });
});
