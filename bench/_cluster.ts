/** An in-process cluster for the benches: RaftNodes on one MemoryNetwork with MemoryStorage. */
import { RaftNode } from '../src/raft/node.js';
import type { RaftNodeOptions } from '../src/raft/options.js';
import type { StateMachine } from '../src/raft/state-machine.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { MemoryNetwork } from '../src/transport/memory.js';

/** A started bench cluster. */
export interface BenchCluster<R> {
  readonly net: MemoryNetwork;
  readonly nodes: RaftNode<R>[];
  readonly leader: RaftNode<R>;
  stop(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface StartOptions<R> {
  /** Node `k` gets seed `seedBase + k + 1`. @default 0 */
  seedBase?: number;
  /** Let an election pick the leader, instead of making the first node campaign. @default false */
  natural?: boolean;
  /** More RaftNode options for every node. */
  extra?: Partial<RaftNodeOptions<R>>;
}

/** Start `ids` and wait for a leader (the first node, unless `natural`). */
export async function startCluster<R>(ids: readonly string[], machine: () => StateMachine<R>, o: StartOptions<R> = {}): Promise<BenchCluster<R>> {
  const net = new MemoryNetwork();
  const peers = [...ids];
  const nodes = peers.map(
    (id, k) => new RaftNode<R>({ id, peers, transport: net.transport(id), storage: new MemoryStorage(), stateMachine: machine(), seed: (o.seedBase ?? 0) + k + 1, ...o.extra }),
  );
  await Promise.all(nodes.map((n) => n.start()));
  const stop = async (): Promise<void> => void (await Promise.all(nodes.map((n) => n.stop())));
  if (o.natural) {
    await Promise.all(nodes.map((n) => n.waitForLeader()));
    return { net, nodes, leader: nodes.find((n) => n.isLeader) ?? nodes.find((n) => n.id === nodes[0]!.leaderId)!, stop };
  }
  nodes[0]!.campaign();
  const deadline = Date.now() + 5000;
  while (!nodes[0]!.isLeader) {
    if (Date.now() > deadline) throw new Error('no leader');
    await new Promise((r) => setTimeout(r, 5));
  }
  return { net, nodes, leader: nodes[0]!, stop };
}
