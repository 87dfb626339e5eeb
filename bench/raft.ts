/**
 * Raft throughput and latency in one process: 1 and 3 nodes on
 * MemoryNetwork (every message through the codec) + MemoryStorage, 64-byte
 * commands, 1 client in sequence and 256 concurrent clients.
 */
import { RaftNode } from '../src/raft/node.js';
import type { StateMachine } from '../src/raft/state-machine.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { MemoryNetwork } from '../src/transport/memory.js';
import type { BenchRow } from './run.js';

class CountMachine implements StateMachine<number> {
  n = 0;
  apply(): number {
    return ++this.n;
  }
  snapshot(): Uint8Array {
    return Uint8Array.of(0);
  }
  restore(): void {
    this.n = 0;
  }
}

async function cluster(size: number): Promise<{ leader: RaftNode<number>; stop: () => Promise<void> }> {
  const net = new MemoryNetwork();
  const ids = Array.from({ length: size }, (_, i) => `n${i}`);
  const nodes = ids.map(
    (id, i) =>
      new RaftNode<number>({ id, peers: ids, transport: net.transport(id), storage: new MemoryStorage(), stateMachine: new CountMachine(), seed: i + 1 }),
  );
  await Promise.all(nodes.map((n) => n.start()));
  nodes[0]!.campaign();
  const deadline = Date.now() + 5000;
  while (!nodes[0]!.isLeader) {
    if (Date.now() > deadline) throw new Error('no leader');
    await new Promise((r) => setTimeout(r, 5));
  }
  // Let the blank entry commit before measuring.
  await nodes[0]!.propose(new Uint8Array(64));
  return { leader: nodes[0]!, stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function measure(size: number, clients: number, durationMs: number): Promise<BenchRow> {
  const { leader, stop } = await cluster(size);
  const cmd = new Uint8Array(64).fill(7);
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  let commits = 0;
  const client = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await leader.propose(cmd);
      latencies.push(performance.now() - t);
      commits++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const secs = (performance.now() - t0) / 1000;
  await stop();
  latencies.sort((a, b) => a - b);
  return {
    nodes: size,
    clients,
    'commits/s': Math.round(commits / secs),
    'p50 ms': +percentile(latencies, 0.5).toFixed(3),
    'p99 ms': +percentile(latencies, 0.99).toFixed(3),
  };
}

/** Run the suite; `--ms N` sets the time per case. */
export async function run(args: string[]): Promise<BenchRow[]> {
  const i = args.indexOf('--ms');
  const ms = i >= 0 ? Number(args[i + 1]) : 3000;
  const rows: BenchRow[] = [];
  for (const size of (process.env.QK_SIZES ?? "1,3").split(",").map(Number)) for (const clients of (process.env.QK_CLIENTS ?? "1,256").split(",").map(Number)) rows.push(await measure(size, clients, ms));
  return rows;
}
