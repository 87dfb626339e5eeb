/**
 * One bench node in its own process (forked by `bench/_procs.ts`): a
 * RaftNode on TcpTransport with MemoryStorage or FileStorage, driven over
 * the IPC channel. The leader also runs the closed-loop clients, so client
 * traffic never crosses a process boundary the Raft messages do not.
 */
import { TcpTransport } from '../src/node/tcp/transport.js';
import { RaftNode } from '../src/raft/node.js';
import type { StateMachine } from '../src/raft/state-machine.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { DurableStorages } from './_durable.js';
import { BENCH_TIMING, closedLoad } from './_load.js';

/** What the parent sends. */
export type ToChild =
  | { type: 'init'; id: string; ids: string[]; dir: string | null; seed: number }
  | { type: 'peers'; addresses: Record<string, string> }
  | { type: 'campaign' }
  | { type: 'load'; clients: number; ms: number; thinkMs: number }
  | { type: 'counts' }
  | { type: 'stop' };

/** What the child answers. */
export type FromChild =
  | { type: 'listening'; address: string }
  | { type: 'ready' }
  | { type: 'leader' }
  | { type: 'loaded'; commits: number; seconds: number; p50: number; p99: number }
  | { type: 'counts'; saves: number; entries: number; entrySaves: number }
  | { type: 'error'; message: string };

const counter = (): StateMachine<number> => {
  let n = 0;
  return { apply: () => ++n, snapshot: () => Uint8Array.of(0), restore: () => void (n = 0) };
};

let node: RaftNode<number> | null = null;
let transport: TcpTransport | null = null;
let disk: DurableStorages | null = null;
let init: Extract<ToChild, { type: 'init' }> | null = null;

const reply = (m: FromChild): void => void process.send?.(m);

async function handle(m: ToChild): Promise<void> {
  switch (m.type) {
    case 'init':
      init = m;
      transport = new TcpTransport({ id: m.id, clusterId: 'bench' });
      disk = m.dir === null ? null : DurableStorages.at(m.dir);
      return reply({ type: 'listening', address: await transport.listen() });
    case 'peers': {
      const i = init!;
      for (const [id, a] of Object.entries(m.addresses)) if (id !== i.id) transport!.setPeer(id, a);
      const storage = disk === null ? new MemoryStorage() : disk.storageFor(i.id);
      node = new RaftNode<number>({ id: i.id, peers: i.ids, transport: transport!, storage, stateMachine: counter(), seed: i.seed, ...BENCH_TIMING });
      await node.start();
      return reply({ type: 'ready' });
    }
    case 'campaign':
      node!.campaign();
      await node!.waitForLeader(5000);
      if (!node!.isLeader) throw new Error(`${init!.id} did not win its election`);
      await node!.propose(new Uint8Array(64));
      return reply({ type: 'leader' });
    case 'load': {
      const r = await closedLoad(node!, m.clients, m.ms, m.thinkMs);
      return reply({ type: 'loaded', commits: r.latencies.length, seconds: r.seconds, p50: r.percentile(0.5), p99: r.percentile(0.99) });
    }
    case 'counts':
      return reply({ type: 'counts', ...(disk?.counts(init!.id) ?? { saves: 0, entries: 0, entrySaves: 0 }) });
    case 'stop':
      await node?.stop();
      process.disconnect?.();
      return;
  }
}

process.on('message', (m: ToChild) => {
  handle(m).catch((e: unknown) => reply({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
});
