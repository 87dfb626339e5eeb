import { describe, expect, it } from 'vitest';
import { NodeCluster, enc } from './node-cluster.js';

const SMALL = { snapshotThresholdEntries: 20, snapshotTrailingEntries: 5, snapshotChunkBytes: 64 };

async function writeN(c: NodeCluster, n: number, prefix: string): Promise<void> {
  const l = await c.waitForLeader();
  const rs = await Promise.all(Array.from({ length: n }, (_, i) => c.settle(l.propose(enc(`${prefix}${i}`)))));
  expect(rs.every((r) => r.ok)).toBe(true);
}

describe('snapshots and log compaction', () => {
  it('takes snapshots past the threshold, compacts the log, keeps a trailing window', async () => {
    const c = new NodeCluster(['a', 'b', 'c'], SMALL);
    await c.start();
    await writeN(c, 60, 'v');
    await c.run(200);
    for (const id of c.ids) {
      const s = c.storages.get(id)!;
      expect(s.snapshot).not.toBeNull();
      const snapIndex = s.snapshot!.meta.index;
      expect(snapIndex).toBeGreaterThanOrEqual(20);
      expect(s.entries[0]!.index).toBeGreaterThan(1);
      expect(s.entries[0]!.index).toBeLessThanOrEqual(snapIndex - 5 + 1);
      expect(c.node(id).status().snapshotIndex).toBe(snapIndex);
    }
    await c.stopAll();
  });

  it('restarts from snapshot + log with no gap', async () => {
    const c = new NodeCluster(['a', 'b', 'c'], SMALL);
    await c.start();
    await writeN(c, 45, 'r');
    await c.run(200);
    for (const id of c.ids) {
      const n = await c.restart(id);
      await c.run(300);
      expect(c.machines.get(id)!.applied.slice(-45)).toEqual(Array.from({ length: 45 }, (_, i) => `r${i}`));
      expect(n.status().appliedIndex).toBe(n.status().commitIndex);
    }
    await c.stopAll();
  });

  it('a follower that fell behind the compacted log receives the snapshot in chunks, then the rest of the log', async () => {
    const c = new NodeCluster(['a', 'b', 'c'], SMALL);
    await c.start();
    const l = await c.waitForLeader();
    const lagging = c.ids.find((x) => x !== l.id)!;
    c.net.isolate(lagging);
    await writeN(c, 80, 's');
    await c.run(100);
    expect(c.storages.get(l.id)!.entries[0]!.index).toBeGreaterThan(2);
    c.net.heal();
    await c.run(1500);
    expect(c.node(lagging).status().appliedIndex).toBe(l.status().commitIndex);
    expect(c.storages.get(lagging)!.snapshot).not.toBeNull();
    // The snapshot replaced the state machine, so the restored list ends with every write.
    expect(c.machines.get(lagging)!.applied.slice(-80)).toEqual(Array.from({ length: 80 }, (_, i) => `s${i}`));
    await writeN(c, 3, 'after');
    await c.run(200);
    expect(c.machines.get(lagging)!.applied.slice(-3)).toEqual(['after0', 'after1', 'after2']);
    await c.stopAll();
  });

  it('a new node joins from a snapshot and becomes a voter', async () => {
    const c = new NodeCluster(['a', 'b', 'c'], SMALL);
    await c.start();
    await writeN(c, 50, 'j');
    await c.run(200);
    await c.addNode('d', SMALL);
    const l = await c.waitForLeader();
    expect((await c.settle(l.addLearner('d', undefined, { waitForCatchUp: true }))).ok).toBe(true);
    expect((await c.settle(l.promote('d'))).ok).toBe(true);
    await c.run(300);
    expect(c.storages.get('d')!.snapshot).not.toBeNull();
    expect(c.machines.get('d')!.applied.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `j${i}`));
    expect(c.node('d').membership().voters).toContain('d');
    await c.stopAll();
  });

  it('a lost chunk aborts the transfer and it restarts; a partial snapshot is never installed', async () => {
    const c = new NodeCluster(['a', 'b', 'c'], { ...SMALL, snapshotChunkTimeoutMs: 100 });
    await c.start();
    const l = await c.waitForLeader();
    const lagging = c.ids.find((x) => x !== l.id)!;
    c.net.isolate(lagging);
    await writeN(c, 80, 'k');
    c.net.heal();
    c.net.drop(0.3);
    await c.run(3000);
    c.net.drop(0);
    await c.run(1000);
    expect(c.node(lagging).status().appliedIndex).toBe(l.status().commitIndex);
    expect(c.machines.get(lagging)!.applied.slice(-80)).toEqual(Array.from({ length: 80 }, (_, i) => `k${i}`));
    await c.stopAll();
  });
});
