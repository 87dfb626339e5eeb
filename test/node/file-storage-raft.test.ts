import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileStorage } from '../../src/node.js';
import { RaftNode } from '../../src/raft/node.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { LogMachine, enc } from '../raft/node-cluster.js';

let root = '';
afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

function node(dir: string, net: MemoryNetwork, machine: LogMachine): RaftNode<number> {
  const storage = createFileStorage(dir, { clusterId: 'c', nodeId: 'a' });
  return new RaftNode<number>({ id: 'a', peers: ['a'], transport: net.transport('a'), storage, stateMachine: machine, seed: 1, electionTimeoutMs: 50, tickIntervalMs: 5, heartbeatIntervalMs: 10 });
}

describe('RaftNode on FileStorage in a real directory', () => {
  it('commits proposals durably and replays them after a restart', async () => {
    root = await mkdtemp(join(tmpdir(), 'quorumkit-raft-'));
    const dir = join(root, 'a');
    const first = new LogMachine();
    let n = node(dir, new MemoryNetwork(), first);
    await n.start();
    await n.waitForLeader(5000);
    for (let i = 0; i < 20; i++) await n.propose(enc(`cmd${i}`));
    await n.stop();
    const term = n.status().term;
    const again = new LogMachine();
    n = node(dir, new MemoryNetwork(), again);
    await n.start();
    await n.waitForLeader(5000);
    await n.propose(enc('after'));
    await n.stop();
    expect(again.applied).toEqual([...first.applied, 'after']);
    expect(first.applied.slice(-20)).toEqual(Array.from({ length: 20 }, (_, i) => `cmd${i}`));
    expect(n.status().term).toBeGreaterThan(term);
  });
});
