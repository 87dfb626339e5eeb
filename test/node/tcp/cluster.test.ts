import { afterEach, describe, expect, it } from 'vitest';
import { LogMachine, enc } from '../../raft/node-cluster.js';
import { TcpCluster, type TransportExtra } from './cluster.js';
import { makePki, waitFor } from './helpers.js';

let cluster: TcpCluster<number> | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

async function electAndCommit(extra?: TransportExtra): Promise<TcpCluster<number>> {
  const c = new TcpCluster(['a', 'b', 'c'], () => new LogMachine(), extra);
  cluster = c;
  await c.start();
  expect(await waitFor(() => c.leader() !== undefined)).toBe(true);
  for (let i = 0; i < 20; i++) await c.leader()!.propose(enc(`x${i}`));
  return c;
}

function applied(c: TcpCluster<number>, id: string): number {
  return c.nodes.get(id)!.status().appliedIndex;
}

describe('RaftNode cluster over TcpTransport', () => {
  it('elects a leader and commits on every node', async () => {
    const c = await electAndCommit();
    const target = applied(c, c.leader()!.id);
    expect(await waitFor(() => c.ids.every((id) => applied(c, id) >= target))).toBe(true);
    // One connection per pair: 3 pairs, each counted once on each side.
    expect([...c.transports.values()].reduce((n, t) => n + t.stats().connectionsOpened, 0)).toBe(6);
  });

  it('a restarted peer reconnects and catches up', async () => {
    const c = await electAndCommit();
    // Restart a follower: with ids a < b < c, a follower in the middle both dials and accepts.
    const follower = ['b', 'a', 'c'].find((id) => id !== c.leader()!.id)!;
    await c.restart(follower);
    expect(await waitFor(() => c.leader() !== undefined)).toBe(true);
    await c.leader()!.propose(enc('after-restart'));
    const target = applied(c, c.leader()!.id);
    expect(await waitFor(() => applied(c, follower) >= target)).toBe(true);
  });

  it('a follower that fell behind a compacted log catches up by chunked InstallSnapshot over TLS', async () => {
    const pki = makePki(['a', 'b', 'c']);
    const small = { snapshotThresholdEntries: 20, snapshotTrailingEntries: 5, snapshotChunkBytes: 50_000 };
    const c = new TcpCluster(['a', 'b', 'c'], () => new LogMachine(), (id) => ({ chunkBytes: 4096, tls: { ...pki.certs[id]!, ca: pki.ca } }), small);
    cluster = c;
    await c.start();
    expect(await waitFor(() => c.leader() !== undefined)).toBe(true);
    const lagging = c.ids.find((id) => id !== c.leader()!.id)!;
    await c.nodes.get(lagging)!.stop();
    const pad = 'x'.repeat(2000);
    for (let i = 0; i < 80; i++) await c.leader()!.propose(enc(`s${i}-${pad}`));
    const leader = c.leader()!;
    expect(await waitFor(() => c.storages.get(leader.id)!.snapshot !== null)).toBe(true);
    await c.revive(lagging);
    // The leader kept only 5 entries behind its snapshot, so the follower can catch up by nothing else.
    expect(c.storages.get(leader.id)!.entries[0]!.index).toBeGreaterThan(2);
    expect(await waitFor(() => applied(c, lagging) >= 81 && c.storages.get(lagging)!.snapshot !== null)).toBe(true);
  });

  it('elects and commits with mutual TLS', async () => {
    const pki = makePki(['a', 'b', 'c']);
    const c = await electAndCommit((id) => ({ tls: { ...pki.certs[id]!, ca: pki.ca } }));
    const target = applied(c, c.leader()!.id);
    expect(await waitFor(() => c.ids.every((id) => applied(c, id) >= target))).toBe(true);
    expect([...c.transports.values()].every((t) => t.stats().connectionErrors === 0)).toBe(true);
  });
});
