/**
 * Raft over real sockets. Three node processes (forked, each a RaftNode on
 * TcpTransport over loopback; the leader's process runs the clients) with
 * MemoryStorage, then with FileStorage + fsync (each node its own directory
 * on the same disk) beside the disk's raw fsync rate — one writer alone and
 * three at once — the leader's average batch (entries per fsync) and the
 * ratio commits/s ÷ (raw fsync rate × average batch). Then 3 nodes in this
 * one process over plain TCP and mutual TLS, 64-byte commands, 1 client in
 * sequence and 256 concurrent clients; then a snapshot sent to a new learner
 * over TCP, with the longest gap between the heartbeats it received
 * meanwhile (the control lane at work).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TcpTransport } from '../src/node/tcp/transport.js';
import type { TcpTlsOptions } from '../src/node/tcp/tls.js';
import { RaftNode } from '../src/raft/node.js';
import type { StateMachine } from '../src/raft/state-machine.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { MsgType } from '../src/raft/core/types.js';
import type { RaftTransport } from '../src/transport/transport.js';
import { makePki } from '../test/node/tcp/helpers.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_TIMING, closedLoad, percentile } from './_load.js';
import { ProcCluster } from './_procs.js';
import { rawFsyncRate } from './storage.js';
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
  const nodes = IDS.map((id, i) => new RaftNode<number>({ id, peers: IDS, transport: transports[i]!, storage: new MemoryStorage(), stateMachine: counter(), seed: i + 1, ...BENCH_TIMING }));
  await Promise.all(nodes.map((n) => n.start()));
  nodes[0]!.campaign();
  await nodes[0]!.waitForLeader(5000);
  if (!nodes[0]!.isLeader) throw new Error('n0 did not win its election');
  await nodes[0]!.propose(new Uint8Array(64));
  return nodes;
}

/** The columns every throughput row has; `latencies` sorted. */
function latencyRow(transport: string, storage: string, clients: number, rate: number, latencies: number[]): BenchRow {
  return { transport, storage, nodes: IDS.length, clients, 'commits/s': Math.round(rate), 'p50 ms': +percentile(latencies, 0.5).toFixed(3), 'p99 ms': +percentile(latencies, 0.99).toFixed(3) };
}

async function measure(transport: string, tls: ((id: string) => TcpTlsOptions) | null, clients: number, ms: number): Promise<BenchRow> {
  const nodes = await startCluster(tls);
  try {
    const { rate, latencies } = await closedLoad(nodes[0]!, clients, ms);
    return latencyRow(transport, 'memory (1 process)', clients, rate, latencies);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

/** 3 node processes over TCP with MemoryStorage. */
async function measureProcesses(clients: number, ms: number): Promise<BenchRow> {
  const cluster = await ProcCluster.start(IDS, null);
  try {
    const r = await cluster.load(clients, ms);
    return { transport: 'tcp', storage: 'memory (3 processes)', nodes: IDS.length, clients, 'commits/s': Math.round(r.commits / r.seconds), 'p50 ms': +r.p50.toFixed(3), 'p99 ms': +r.p99.toFixed(3) };
  } finally {
    await cluster.stop();
  }
}

/** Several writers' fsync rates at once, each its own file in `dir` (what three nodes on one disk can each get). */
async function concurrentFsyncRate(dir: string, writers: number, seconds: number): Promise<number> {
  const rates = await Promise.all(Array.from({ length: writers }, (_, i) => rawFsyncRate(dir, seconds, `fsync-probe-${i}`)));
  return rates.reduce((a, b) => a + b, 0) / writers;
}

/**
 * 3 node processes over TCP with FileStorage + fsync (each node its own
 * directory on the same disk). This disk's fsync rate drifts by several
 * times within seconds, so the load runs in 5 slices alternating with
 * raw-fsync slices (cluster idle) and the ratio compares rates measured
 * over the same stretch of time: one writer alone, and three at once.
 */
async function measureDurable(clients: number, ms: number, thinkMs: number): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'quorumkit-bench-node-'));
  const cluster = await ProcCluster.start(IDS, dir);
  let [commits, secs, fsyncs, fsyncs3, p50, p99] = [0, 0, 0, 0, 0, 0];
  try {
    const c0 = await cluster.counts();
    for (let i = 0; i < 5; i++) {
      fsyncs += (await rawFsyncRate(dir, 0.3)) / 5;
      fsyncs3 += (await concurrentFsyncRate(dir, IDS.length, 0.3)) / 5;
      const r = await cluster.load(clients, ms / 5, thinkMs);
      [commits, secs, p50, p99] = [commits + r.commits, secs + r.seconds, p50 + r.p50 / 5, p99 + r.p99 / 5];
    }
    const c1 = await cluster.counts();
    const saves = c1[0]!.saves - c0[0]!.saves;
    const entries = c1[0]!.entries - c0[0]!.entries;
    const all = c1.reduce((a, c, i) => a + c.saves - c0[i]!.saves, 0);
    const rate = commits / secs;
    const batch = saves > 0 ? entries / saves : 0;
    return {
      transport: 'tcp', storage: thinkMs > 0 ? `file+fsync (3 processes), think 0-${2 * thinkMs} ms` : 'file+fsync (3 processes)', nodes: IDS.length, clients, 'commits/s': Math.round(rate), 'p50 ms': +p50.toFixed(3), 'p99 ms': +p99.toFixed(3),
      'raw fsyncs/s': Math.round(fsyncs),
      'raw fsyncs/s each, 3 writers': Math.round(fsyncs3),
      'leader fsyncs/s': Math.round(saves / secs),
      'fsyncs/s, 3 nodes': Math.round(all / secs),
      'avg batch': +batch.toFixed(1),
      'ratio to fsync rate × batch': batch > 0 ? +(rate / (fsyncs * batch)).toFixed(2) : 0,
      'ratio, 3-writer fsync rate': batch > 0 ? +(rate / (fsyncs3 * batch)).toFixed(2) : 0,
    };
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A state machine whose snapshot is a blob of `bytes`. */
const blob = (bytes: number): StateMachine<number> & { blob: Uint8Array } => ({
  blob: new Uint8Array(bytes),
  apply: () => 0,
  snapshot() {
    return this.blob;
  },
  restore(b: Uint8Array) {
    this.blob = b;
  },
});

/** Wrap a transport to record when heartbeats arrive. */
function heartbeatClock(inner: RaftTransport, times: number[]): RaftTransport {
  return {
    start: (h) => inner.start((m) => (m.type === MsgType.Heartbeat && times.push(performance.now()), h(m))),
    send: (ms) => inner.send(ms),
    close: () => inner.close(),
  };
}

/** A new learner receives a snapshot of `mb` MB over TCP. */
async function snapshotToLearner(mb: number): Promise<BenchRow> {
  const opts = { snapshotThresholdEntries: 1_000_000_000, requestTimeoutMs: 120_000, ...BENCH_TIMING };
  const transports = [...IDS, 'n3'].map((id) => new TcpTransport({ id, clusterId: 'bench' }));
  const addrs = await Promise.all(transports.map((t) => t.listen()));
  transports.forEach((t, i) => addrs.forEach((a, j) => i !== j && t.setPeer(j === 3 ? 'n3' : IDS[j]!, a)));
  const nodes = IDS.map((id, i) => new RaftNode<number>({ id, peers: IDS, transport: transports[i]!, storage: new MemoryStorage(), stateMachine: blob(mb * 1e6), seed: i + 1, ...opts }));
  await Promise.all(nodes.map((n) => n.start()));
  nodes[0]!.campaign();
  await nodes[0]!.waitForLeader(5000);
  await nodes[0]!.propose(new Uint8Array(8));
  await nodes[0]!.snapshotNow();
  const beats: number[] = [];
  const sm = blob(0);
  const learner = new RaftNode<number>({ id: 'n3', peers: [], join: true, transport: heartbeatClock(transports[3]!, beats), storage: new MemoryStorage(), stateMachine: sm, seed: 9, ...opts });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let t0 = 0;
  let t1 = 0;
  try {
    await learner.start();
    loop.enable();
    t0 = performance.now();
    await nodes[0]!.addLearner('n3', undefined, { waitForCatchUp: true });
    t1 = performance.now();
  } finally {
    loop.disable();
    await Promise.all([...nodes, learner].map((n) => n.stop()));
  }
  const marks = [t0, ...beats.filter((t) => t >= t0 && t <= t1), t1];
  const maxGap = Math.max(...marks.slice(1).map((t, i) => t - marks[i]!));
  const secs = (t1 - t0) / 1000;
  return { transport: 'tcp', case: `snapshot ${mb} MB to a new learner`, seconds: +secs.toFixed(2), 'MB/s': Math.round(mb / secs), received: sm.blob.byteLength, 'heartbeats received': marks.length - 2, 'max heartbeat gap ms': +maxGap.toFixed(1), 'max event-loop delay ms': +(loop.max / 1e6).toFixed(1) };
}

/**
 * Run the suite; `--ms N` sets the time per case, `--no-tls` skips the TLS rows, `--no-durable` the FileStorage rows,
 * `--snapshot-mb N` sizes the snapshot (200), `--only a,b` runs only some groups of rows: `processes` (3 processes,
 * memory), `tcp` (one process, TCP and TLS), `durable` (3 processes, file+fsync), `snapshot`; `--think-ms N` makes
 * the durable rows' clients wait 0…2N ms between commits (default 0, back to back: the issue's figures).
 */
export async function run(args: string[]): Promise<BenchRow[]> {
  const i = args.indexOf('--ms');
  const ms = i >= 0 ? Number(args[i + 1]) : 3000;
  const k = args.indexOf('--only');
  const only = k >= 0 ? new Set((args[k + 1] ?? '').split(',')) : null;
  const want = (group: string): boolean => only === null || only.has(group);
  const pki = args.includes('--no-tls') || !want('tcp') ? null : makePki(IDS);
  const variants: [string, ((id: string) => TcpTlsOptions) | null][] = [['tcp', null]];
  if (pki) variants.push(['tcp+tls', (id) => ({ ...pki.certs[id]!, ca: pki.ca })]);
  const rows: BenchRow[] = [];
  if (want('processes')) for (const clients of [1, 256]) rows.push(await measureProcesses(clients, ms));
  if (want('tcp')) for (const [name, tls] of variants) for (const clients of [1, 256]) rows.push(await measure(name, tls, clients, ms));
  const t = args.indexOf('--think-ms');
  const thinkMs = t >= 0 ? Number(args[t + 1]) : 0;
  if (!args.includes('--no-durable') && want('durable')) for (const clients of [1, 256]) rows.push(await measureDurable(clients, ms, thinkMs));
  const j = args.indexOf('--snapshot-mb');
  const mb = j >= 0 ? Number(args[j + 1]) : 200;
  // At load averages of 15-18 the leader's loop stalled past its election timeout during the transfer and the error
  // took every row above with it: the failure is reported as this row instead.
  if (want('snapshot')) rows.push(await snapshotToLearner(mb).catch((e: unknown) => ({ transport: 'tcp', case: `snapshot ${mb} MB to a new learner`, error: e instanceof Error ? e.message : String(e) })));
  return rows;
}
