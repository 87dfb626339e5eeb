/**
 * Raft over real sockets, in one process: 3 RaftNodes on TcpTransport over
 * loopback (plain TCP, then mutual TLS), MemoryStorage, 64-byte commands,
 * 1 client in sequence and 256 concurrent clients. (The multi-process and
 * fsync figures come with FileStorage.)
 */
import { TcpTransport } from '../src/node/tcp/transport.js';
import type { TcpTlsOptions } from '../src/node/tcp/tls.js';
import { RaftNode } from '../src/raft/node.js';
import type { StateMachine } from '../src/raft/state-machine.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { makePki } from '../test/node/tcp/helpers.js';
import type { BenchRow } from './run.js';

const IDS = ['n0', 'n1', 'n2'];

/** Applies nothing; counts. */
const counter = (): StateMachine<number> => {
  let n = 0;
  return { apply: () => ++n, snapshot: () => Uint8Array.of(0), restore: () => void (n = 0) };
};

async function startCluster(tls: ((id: string) => TcpTlsOptions) | null): Promise<RaftNode<number>[]> {
  const transports = IDS.map((id) => new TcpTransport({ id, clusterId: 'bench', ...(tls ? { tls: tls(id) } : {}) }));
  const addrs = await Promise.all(transports.map((t) => t.listen()));
  transports.forEach((t, i) => IDS.forEach((peer, j) => i !== j && t.setPeer(peer, addrs[j]!)));
  const nodes = IDS.map((id, i) => new RaftNode<number>({ id, peers: IDS, transport: transports[i]!, storage: new MemoryStorage(), stateMachine: counter(), seed: i + 1 }));
  await Promise.all(nodes.map((n) => n.start()));
  nodes[0]!.campaign();
  await nodes[0]!.waitForLeader(5000);
  if (!nodes[0]!.isLeader) throw new Error('n0 did not win its election');
  await nodes[0]!.propose(new Uint8Array(64));
  return nodes;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** Run `clients` closed-loop clients against the leader for `ms`; returns commits/s and latencies. */
async function load(leader: RaftNode<number>, clients: number, ms: number): Promise<{ rate: number; latencies: number[] }> {
  const cmd = new Uint8Array(64).fill(7);
  const latencies: number[] = [];
  const end = performance.now() + ms;
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await leader.propose(cmd);
      latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  return { rate: latencies.length / ((performance.now() - t0) / 1000), latencies: latencies.sort((a, b) => a - b) };
}

async function measure(transport: string, tls: ((id: string) => TcpTlsOptions) | null, clients: number, ms: number): Promise<BenchRow> {
  const nodes = await startCluster(tls);
  try {
    const { rate, latencies } = await load(nodes[0]!, clients, ms);
    return {
      transport,
      nodes: IDS.length,
      clients,
      'commits/s': Math.round(rate),
      'p50 ms': +percentile(latencies, 0.5).toFixed(3),
      'p99 ms': +percentile(latencies, 0.99).toFixed(3),
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

/** Run the suite; `--ms N` sets the time per case, `--no-tls` skips the TLS rows. */
export async function run(args: string[]): Promise<BenchRow[]> {
  const i = args.indexOf('--ms');
  const ms = i >= 0 ? Number(args[i + 1]) : 3000;
  const pki = args.includes('--no-tls') ? null : makePki(IDS);
  const variants: [string, ((id: string) => TcpTlsOptions) | null][] = [['tcp', null]];
  if (pki) variants.push(['tcp+tls', (id) => ({ ...pki.certs[id]!, ca: pki.ca })]);
  const rows: BenchRow[] = [];
  for (const [name, tls] of variants) for (const clients of [1, 256]) rows.push(await measure(name, tls, clients, ms));
  return rows;
}
