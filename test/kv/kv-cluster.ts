/** Multi-node KV clusters on MemoryNetwork and virtual time, for tests. */
import { KvClient } from '../../src/kv/client.js';
import type { KvExtension } from '../../src/kv/extension.js';
import { LeaseExpirer } from '../../src/kv/lease-expirer.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import type { KvResult } from '../../src/kv/types.js';
import { LivenessTracker } from '../../src/membership/liveness.js';
import { RaftNode } from '../../src/raft/node.js';
import type { RaftNodeOptions } from '../../src/raft/options.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { EventLoop } from '../../src/testing/sim/event-loop.js';
import { MemoryNetwork } from '../../src/transport/memory.js';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class KvCluster {
  readonly loop = new EventLoop();
  readonly clock = this.loop.clock();
  readonly net: MemoryNetwork;
  readonly nodes = new Map<string, RaftNode<KvResult>>();
  readonly clients = new Map<string, KvClient>();
  readonly expirers = new Map<string, LeaseExpirer>();
  readonly liveness = new Map<string, LivenessTracker>();
  private readonly storages = new Map<string, MemoryStorage>();
  private restarts = 0;

  constructor(
    readonly ids: string[],
    private readonly extensions: readonly KvExtension[] = [],
    readonly seed = 1,
    private readonly nodeOptions: Partial<RaftNodeOptions<KvResult>> = {},
  ) {
    this.net = new MemoryNetwork({ clock: this.clock, seed, minDelayMs: 1, maxDelayMs: 3 });
    for (const id of ids) {
      this.storages.set(id, new MemoryStorage());
      this.create(id);
    }
  }

  /** Start a fresh node that joins the running cluster (the leader must still add it). */
  async addNode(id: string): Promise<RaftNode<KvResult>> {
    this.storages.set(id, new MemoryStorage());
    this.joined.add(id);
    const n = this.create(id);
    await n.start();
    return n;
  }

  private readonly joined = new Set<string>();

  private create(id: string): RaftNode<KvResult> {
    const live = new LivenessTracker(this.clock);
    this.liveness.set(id, live);
    const node = new RaftNode<KvResult>({
      id,
      peers: this.ids,
      transport: live.wrap(this.net.transport(id)),
      storage: this.storages.get(id)!,
      stateMachine: new KvStateMachine({ extensions: this.extensions }),
      clock: this.clock,
      seed: this.seed * 1000 + this.ids.indexOf(id) + 100 * this.restarts,
      join: this.joined.has(id),
      ...this.nodeOptions,
    });
    this.nodes.set(id, node);
    this.clients.set(id, new KvClient(node, { clock: this.clock }));
    this.expirers.get(id)?.stop();
    const ex = new LeaseExpirer(node, { clock: this.clock, intervalMs: 50 });
    this.expirers.set(id, ex);
    ex.start();
    return node;
  }

  node(id: string): RaftNode<KvResult> {
    return this.nodes.get(id)!;
  }

  client(id: string): KvClient {
    return this.clients.get(id)!;
  }

  sm(id: string): KvStateMachine {
    return this.node(id).stateMachine as KvStateMachine;
  }

  async start(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.start()));
  }

  async stop(id: string): Promise<void> {
    this.expirers.get(id)?.stop();
    await this.node(id).stop();
  }

  async stopAll(): Promise<void> {
    for (const id of this.nodes.keys()) await this.stop(id);
  }

  /** Restart a stopped node from its storage with a fresh state machine (it replays the log). */
  async restart(id: string): Promise<RaftNode<KvResult>> {
    await this.node(id).stop();
    this.restarts++;
    const n = this.create(id);
    await n.start();
    return n;
  }

  run(ms: number): Promise<void> {
    return this.loop.runForAsync(ms);
  }

  async waitForLeader(timeoutMs = 5000): Promise<RaftNode<KvResult>> {
    let found: RaftNode<KvResult> | undefined;
    const ok = await this.loop.runUntilTrueAsync(() => {
      found = [...this.nodes.values()].filter((n) => n.status().running && n.isLeader).sort((a, b) => b.status().term - a.status().term)[0];
      return found !== undefined;
    }, timeoutMs);
    if (!ok || !found) throw new Error('no leader');
    return found;
  }

  /** Settle a promise while virtual time runs; also reports how much virtual time it took. */
  async settle<T>(p: Promise<T>, timeoutMs = 20_000): Promise<Settled<T> & { ms: number }> {
    const t0 = this.loop.now;
    let out: Settled<T> | undefined;
    p.then((value) => (out = { ok: true, value }), (error: unknown) => (out = { ok: false, error }));
    await this.loop.runUntilTrueAsync(() => out !== undefined, timeoutMs);
    if (out === undefined) throw new Error('promise did not settle in virtual time');
    return { ...out, ms: this.loop.now - t0 };
  }

  /** Settle and return the value, throwing the error. */
  async must<T>(p: Promise<T>): Promise<T> {
    const r = await this.settle(p);
    if (!r.ok) throw r.error;
    return r.value;
  }

  /** Wait until every running node applied up to the leader's commit index. */
  async converge(timeoutMs = 5000): Promise<void> {
    const ok = await this.loop.runUntilTrueAsync(() => {
      // Every running node, joined ones included.
      const running = [...this.nodes.values()].filter((n) => n.status().running);
      const commit = Math.max(...running.map((n) => n.status().commitIndex));
      return running.every((n) => n.status().appliedIndex >= commit);
    }, timeoutMs);
    if (!ok) throw new Error('replicas did not converge');
  }
}
