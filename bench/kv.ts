/**
 * KV throughput on a 3-node in-process cluster (MemoryNetwork, every
 * message through the codec; MemoryStorage): puts/s and linearizable
 * gets/s with 256 concurrent clients (each its own KvClient and session),
 * and the rate at which a follower's watch delivers the put events.
 * `npm run bench -- kv [--ms N] [--clients N]`
 */
import { KvClient } from '../src/kv/client.js';
import { KvStateMachine } from '../src/kv/state-machine.js';
import type { KvResult, WatchEvent } from '../src/kv/types.js';
import { RaftNode } from '../src/raft/node.js';
import { startCluster } from './_cluster.js';
import type { BenchRow } from './run.js';

async function cluster(): Promise<{ nodes: RaftNode<KvResult>[]; leader: RaftNode<KvResult> }> {
  return startCluster(['n0', 'n1', 'n2'], () => new KvStateMachine());
}

/** Run `clients` loops of `op` for `ms`; returns operations per second. */
async function loop(clients: number, ms: number, op: (client: number, i: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        await op(c, i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** Count events a follower's watch delivers while `during` runs; returns events/s and how many arrived. */
async function watchRate(follower: KvStateMachine, during: () => Promise<number>): Promise<{ rate: number; events: number; ops: number }> {
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

/** Run the suite; `--ms N` sets the time per case, `--clients N` the concurrency. */
export async function run(args: string[]): Promise<BenchRow[]> {
  const arg = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
  const ms = arg('--ms', 3000);
  const clients = arg('--clients', 256);
  const { nodes, leader } = await cluster();
  const kvs = Array.from({ length: clients }, () => new KvClient(leader, { requestTimeoutMs: 30_000, leaderWaitMs: 1000 }));
  const value = new Uint8Array(64).fill(7);
  await Promise.all(kvs.map((k, c) => k.put(`k/${c}/0`, value))); // open every session first
  const follower = nodes[1]!.stateMachine as KvStateMachine;
  const puts = await watchRate(follower, () => loop(clients, ms, (c, i) => kvs[c]!.put(`k/${c}/${i % 100}`, value)));
  const gets = await loop(clients, ms, (c, i) => kvs[c]!.get(`k/${c}/${i % 100}`));
  await Promise.all(nodes.map((n) => n.stop()));
  return [
    { case: 'put (64 B values)', nodes: 3, clients, 'ops/s': Math.round(puts.ops) },
    { case: 'linearizable get (ReadIndex)', nodes: 3, clients, 'ops/s': Math.round(gets) },
    { case: 'watch delivery on a follower', nodes: 3, clients, 'ops/s': Math.round(puts.rate), note: `${puts.events} events` },
  ];
}
