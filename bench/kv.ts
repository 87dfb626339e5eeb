/**
 * KV throughput on a 3-node in-process cluster (MemoryNetwork, every
 * message through the codec; MemoryStorage): puts/s and linearizable
 * gets/s with 256 concurrent clients (each its own KvClient and session),
 * and the rate at which a follower's watch delivers the put events.
 * Each row also gives latency percentiles and the process CPU time per
 * operation (the whole cluster runs in this one process, so CPU time per op
 * is the figure that a busy shared machine disturbs least).
 * `npm run bench -- kv [--ms N] [--clients N]`
 */
import { KvClient } from '../src/kv/client.js';
import { KvStateMachine } from '../src/kv/state-machine.js';
import type { KvResult, WatchEvent } from '../src/kv/types.js';
import { RaftNode } from '../src/raft/node.js';
import { startCluster } from './_cluster.js';
import { percentile } from './_load.js';
import type { BenchRow } from './run.js';

async function cluster(): Promise<{ nodes: RaftNode<KvResult>[]; leader: RaftNode<KvResult> }> {
  return startCluster(['n0', 'n1', 'n2'], () => new KvStateMachine());
}

/** Throughput, latency percentiles (ms) and process CPU time per operation (µs) of one closed-loop run. */
interface LoopResult {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUs: number;
}

/** Run `clients` closed loops of `op` for `ms`. */
async function loop(clients: number, ms: number, op: (client: number, i: number) => Promise<unknown>): Promise<LoopResult> {
  const end = performance.now() + ms;
  const latencies: number[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        await op(c, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  latencies.sort((a, b) => a - b);
  const n = Math.max(1, latencies.length);
  return { rate: latencies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), cpuUs: (cpu.user + cpu.system) / n };
}

/** A table row of a loop result. */
function row(name: string, clients: number, r: LoopResult): BenchRow {
  return { case: name, nodes: 3, clients, 'ops/s': Math.round(r.rate), 'p50 ms': r.p50.toFixed(2), 'p99 ms': r.p99.toFixed(2), 'CPU µs/op': r.cpuUs.toFixed(1) };
}

/** Count events a follower's watch delivers while `during` runs; returns events/s and how many arrived. */
async function watchRate(follower: KvStateMachine, during: () => Promise<LoopResult>): Promise<{ rate: number; events: number; ops: LoopResult }> {
  const w = follower.watch({ key: 'k/', prefix: true });
  let events = 0;
  let last = 0;
  const t0 = performance.now();
  const consumer = (async () => {
    for (;;) {
      const r = await w.next();
      if (r.done === true) return;
      events++;
      last = performance.now();
      void (r.value satisfies WatchEvent);
    }
  })();
  const ops = await during();
  await new Promise((r) => setTimeout(r, 200)); // let the follower apply the tail
  await w.return();
  await consumer;
  return { rate: events / ((last - t0) / 1000), events, ops };
}

function clientsOf(leader: RaftNode<KvResult>, n: number): KvClient[] {
  return Array.from({ length: n }, () => new KvClient(leader, { requestTimeoutMs: 30_000, leaderWaitMs: 1000 }));
}

/** Closed-loop puts over 100 keys per client while a follower's watch counts the events. */
async function putPhase(clients: number, ms: number, value: Uint8Array): Promise<{ rate: number; events: number; ops: LoopResult; roleChanges: number; snapshotted: number }> {
  const { nodes, leader } = await cluster();
  const kvs = clientsOf(leader, clients);
  await Promise.all(kvs.map((k, c) => k.put(`k/${c}/0`, value))); // open every session first
  const follower = nodes[1]!.stateMachine as KvStateMachine;
  // A snapshot that blocked the event loop past an election timeout showed up here as leader changes.
  let roleChanges = 0;
  for (const n of nodes) n.on('roleChange', () => roleChanges++);
  const puts = await watchRate(follower, () => loop(clients, ms, (c, i) => kvs[c]!.put(`k/${c}/${i % 100}`, value)));
  const snapshotted = nodes.filter((n) => n.status().snapshotIndex > 0).length;
  await Promise.all(nodes.map((n) => n.stop()));
  return { ...puts, roleChanges, snapshotted };
}

/** Closed-loop linearizable gets of 100 preloaded keys per client. */
async function getPhase(clients: number, ms: number, value: Uint8Array): Promise<LoopResult> {
  const { nodes, leader } = await cluster();
  const kvs = clientsOf(leader, clients);
  for (let i = 0; i < 100; i++) await Promise.all(kvs.map((k, c) => k.put(`k/${c}/${i}`, value)));
  const gets = await loop(clients, ms, (c, i) => kvs[c]!.get(`k/${c}/${i % 100}`));
  await Promise.all(nodes.map((n) => n.stop()));
  return gets;
}

/** Run the suite; `--ms N` sets the time per case, `--clients N` the concurrency. */
export async function run(args: string[]): Promise<BenchRow[]> {
  const arg = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
  const ms = arg('--ms', 3000);
  const clients = arg('--clients', 256);
  const value = new Uint8Array(64).fill(7);
  const puts = await putPhase(clients, ms, value);
  // Gets run on a fresh cluster holding the same 100 keys per client whatever the put rate was: reads then measure
  // ReadIndex and lookups, not the heap the put phase happened to leave behind (which moved the figure by a third).
  const gets = await getPhase(clients, ms, value);
  return [
    { ...row('put (64 B values)', clients, puts.ops), note: `${puts.roleChanges} role changes; ${puts.snapshotted} of 3 nodes took a snapshot` },
    row('linearizable get (ReadIndex)', clients, gets),
    { case: 'watch delivery on a follower', nodes: 3, clients, 'ops/s': Math.round(puts.rate), note: `${puts.events} events` },
  ];
}
