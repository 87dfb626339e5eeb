/** Multi-node RaftNode clusters on MemoryNetwork and virtual time, for tests. */
import type { Clock } from '../../src/clock.js';
import { RaftNode } from '../../src/raft/node.js';
import type { RaftNodeOptions } from '../../src/raft/options.js';
import type { StateMachine } from '../../src/raft/state-machine.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { EventLoop } from '../../src/testing/sim/event-loop.js';
import { MemoryNetwork } from '../../src/transport/memory.js';

const dec = new TextDecoder();
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Records every applied command; `apply` returns the command's log index. */
export class LogMachine implements StateMachine<number> {
  readonly applied: string[] = [];
  apply(cmd: Uint8Array, meta: { index: number }): number {
    this.applied.push(dec.decode(cmd));
    return meta.index;
  }
  snapshot(): Uint8Array {
    return enc(JSON.stringify(this.applied));
  }
  restore(s: Uint8Array): void {
    this.applied.length = 0;
    this.applied.push(...(JSON.parse(dec.decode(s)) as string[]));
  }
}

export class NodeCluster {
  readonly loop = new EventLoop();
  readonly clock = this.loop.clock();
  readonly net: MemoryNetwork;
  readonly nodes = new Map<string, RaftNode<number>>();
  readonly storages = new Map<string, MemoryStorage>();
  readonly machines = new Map<string, LogMachine>();
  private restarts = 0;
  private readonly clocks = new Map<string, Clock>();
  private readonly joinOpts = new Map<string, Partial<RaftNodeOptions<number>>>();

  constructor(
    readonly ids: string[],
    private readonly extra: Partial<RaftNodeOptions<number>> = {},
    readonly seed = 1,
  ) {
    this.net = new MemoryNetwork({ clock: this.clock, seed, minDelayMs: 1, maxDelayMs: 3 });
    for (const id of ids) {
      this.storages.set(id, new MemoryStorage());
      this.create(id);
    }
  }

  /** Add a fresh node that joins the running cluster (it must still be added by the leader). */
  async addNode(id: string, extra: Partial<RaftNodeOptions<number>> = {}): Promise<RaftNode<number>> {
    this.storages.set(id, new MemoryStorage());
    const n = this.create(id, { join: true, ...extra });
    await n.start();
    return n;
  }

  private create(id: string, more: Partial<RaftNodeOptions<number>> = this.joinOpts.get(id) ?? {}): RaftNode<number> {
    this.joinOpts.set(id, more);
    const sm = new LogMachine();
    this.machines.set(id, sm);
    const node = new RaftNode<number>({
      id,
      peers: this.ids,
      transport: this.net.transport(id),
      storage: this.storages.get(id)!,
      stateMachine: sm,
      clock: this.clocks.get(id) ?? this.clock,
      seed: this.seed * 1000 + this.ids.indexOf(id) + 100 * this.restarts,
      ...this.extra,
      ...more,
    });
    this.nodes.set(id, node);
    return node;
  }

  /** Recreate a not-yet-started node with another clock (for clock faults). */
  replaceClock(id: string, clock: Clock): RaftNode<number> {
    this.clocks.set(id, clock);
    return this.create(id);
  }

  node(id: string): RaftNode<number> {
    return this.nodes.get(id)!;
  }

  async start(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.start()));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.stop()));
  }

  /** Crash (stop) and restart a node from its storage, with a fresh state machine. */
  async restart(id: string, extra?: Partial<RaftNodeOptions<number>>): Promise<RaftNode<number>> {
    await this.node(id).stop();
    this.restarts++;
    const n = extra === undefined ? this.create(id) : this.create(id, { ...(this.joinOpts.get(id) ?? {}), ...extra });
    await n.start();
    return n;
  }

  run(ms: number): Promise<void> {
    return this.loop.runForAsync(ms);
  }

  /** Ids of every node created, including joined ones. */
  allIds(): string[] {
    return [...this.nodes.keys()];
  }

  leaders(): RaftNode<number>[] {
    return [...this.nodes.values()].filter((n) => n.status().running && n.isLeader);
  }

  async waitForLeader(timeoutMs = 5000, among: string[] = this.allIds()): Promise<RaftNode<number>> {
    let found: RaftNode<number> | undefined;
    const ok = await this.loop.runUntilTrueAsync(() => {
      found = this.leaders().filter((n) => among.includes(n.id)).sort((a, b) => b.status().term - a.status().term)[0];
      return found !== undefined;
    }, timeoutMs);
    if (!ok || !found) throw new Error('no leader');
    return found;
  }

  /** Settle a promise while virtual time runs. */
  async settle<T>(p: Promise<T>, timeoutMs = 10_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    p.then((value) => (out = { ok: true, value }), (error: unknown) => (out = { ok: false, error }));
    await this.loop.runUntilTrueAsync(() => out !== undefined, timeoutMs);
    if (out === undefined) throw new Error('promise did not settle in virtual time');
    return out;
  }
}
