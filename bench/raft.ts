/**
 * Raft throughput and latency in one process: 1 and 3 nodes on
 * MemoryNetwork (every message through the codec) + MemoryStorage, 64-byte
 * commands, 1 client in sequence and 256 concurrent clients.
 */
import { RaftNode } from '../src/raft/node.js';
import type { StateMachine } from '../src/raft/state-machine.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { startCluster } from './_cluster.js';
import { closedLoad, percentile } from './_load.js';
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
  const c = await startCluster(Array.from({ length: size }, (_, i) => `n${i}`), () => new CountMachine());
  // Let the blank entry commit before measuring.
  await c.leader.propose(new Uint8Array(64));
  return c;
}

async function measure(size: number, clients: number, durationMs: number): Promise<BenchRow> {
  const { leader, stop } = await cluster(size);
  const r = await closedLoad(leader, clients, durationMs);
  await stop();
  return {
    nodes: size,
    clients,
    'commits/s': Math.round(r.rate),
    'p50 ms': +r.percentile(0.5).toFixed(3),
    'p99 ms': +r.percentile(0.99).toFixed(3),
  };
}

/** Run the suite; `--ms N` sets the time per case. */
export async function run(args: string[]): Promise<BenchRow[]> {
  const i = args.indexOf('--ms');
  const ms = i >= 0 ? Number(args[i + 1]) : 3000;
  const rows: BenchRow[] = [];
  if (!args.includes('--throughput-only')) rows.push(...(await runAvailability(args)));
  if (args.includes('--availability-only')) return rows;
  for (const size of (process.env.QK_SIZES ?? "1,3").split(",").map(Number)) for (const clients of (process.env.QK_CLIENTS ?? "1,256").split(",").map(Number)) rows.push(await measure(size, clients, ms));
  return rows;
}

/** A state machine whose snapshot is a fixed blob of `bytes` (to measure snapshot transfer). */
class BlobMachine implements StateMachine<number> {
  blob: Uint8Array;
  constructor(bytes: number) {
    this.blob = new Uint8Array(bytes);
  }
  apply(): number {
    return 0;
  }
  snapshot(): Uint8Array {
    return this.blob;
  }
  restore(s: Uint8Array): void {
    this.blob = s;
  }
}

/** Kill the leader, measure until a new leader commits (default timeouts). */
async function failover(rounds: number): Promise<BenchRow> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const { nodes, leader } = await startCluster(['a', 'b', 'c'], () => new CountMachine(), { seedBase: i * 10, natural: true });
    await leader.propose(new Uint8Array(8));
    const t0 = performance.now();
    await leader.stop();
    const rest = nodes.filter((n) => n !== leader);
    for (;;) {
      const l = rest.find((n) => n.isLeader);
      if (l !== undefined && (await l.propose(new Uint8Array(8)).then(() => true, () => false))) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    times.push(performance.now() - t0);
    await Promise.all(rest.map((n) => n.stop()));
  }
  times.sort((a, b) => a - b);
  return { case: 'failover: kill leader → new leader commits', rounds, 'p50 ms': +percentile(times, 0.5).toFixed(1), 'p99 ms': +percentile(times, 0.99).toFixed(1), 'aim p99 ms': 600 };
}

async function transfer(rounds: number): Promise<BenchRow> {
  const { nodes, stop } = await startCluster(['a', 'b', 'c'], () => new CountMachine(), { natural: true });
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const leader = nodes.find((n) => n.isLeader)!;
    await leader.propose(new Uint8Array(8));
    const t0 = performance.now();
    const to = await leader.transferLeadership();
    const next = nodes.find((n) => n.id === to)!;
    while (!next.isLeader) await new Promise((r) => setImmediate(r));
    times.push(performance.now() - t0);
  }
  await stop();
  times.sort((a, b) => a - b);
  return { case: 'leadership transfer', rounds, 'p50 ms': +percentile(times, 0.5).toFixed(2), 'p99 ms': +percentile(times, 0.99).toFixed(2), 'aim p99 ms': 50 };
}

/** A new follower receives a snapshot of `mb` MB in 1 MiB chunks. */
async function snapshotTransfer(mb: number): Promise<BenchRow> {
  const opts = { snapshotThresholdEntries: 1_000_000_000 };
  const { net, nodes, leader } = await startCluster(['a', 'b', 'c'], () => new BlobMachine(mb * 1e6), { natural: true, extra: opts });
  await leader.propose(new Uint8Array(8));
  await leader.snapshotNow();
  const joiner = new RaftNode<number>({ id: 'd', peers: [], join: true, transport: net.transport('d'), storage: new MemoryStorage(), stateMachine: new BlobMachine(0), seed: 9, requestTimeoutMs: 120_000, ...opts });
  await joiner.start();
  const t0 = performance.now();
  await leader.addLearner('d', undefined, { waitForCatchUp: true });
  const secs = (performance.now() - t0) / 1000;
  const got = (joiner.stateMachine as BlobMachine).blob.byteLength;
  await Promise.all([...nodes, joiner].map((n) => n.stop()));
  return { case: `snapshot ${mb} MB to a new follower`, rounds: 1, seconds: +secs.toFixed(2), 'MB/s': Math.round(mb / secs), received: got, 'aim MB/s': 200 };
}

/** The availability suite: `npm run bench -- raft --failover`. */
export async function runAvailability(args: string[]): Promise<BenchRow[]> {
  const i = args.indexOf('--snapshot-mb');
  const mb = i >= 0 ? Number(args[i + 1]) : 200;
  return [await failover(20), await transfer(50), await snapshotTransfer(mb)];
}
