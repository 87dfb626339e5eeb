/**
 * A synchronous in-memory harness around RaftCore for unit tests: each node
 * has a "disk" (hard state + log) that a Ready is written to instantly, and
 * messages sit in a queue until delivered. Links can be cut.
 */
import { RaftCore } from '../../src/raft/core/raft.js';
import type { RaftCoreOptions } from '../../src/raft/core/config.js';
import { EntryType, type Entry, type HardState, type Message, type NodeId, type ReadState } from '../../src/raft/core/types.js';
import { createPrng } from '../../src/util/prng.js';

export interface Disk {
  hardState: HardState;
  entries: Entry[];
}

export class CoreCluster {
  readonly nodes = new Map<NodeId, RaftCore>();
  readonly disks = new Map<NodeId, Disk>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  queue: Message[] = [];
  /** Every message delivered so far, in order (for tests that count messages). */
  delivered: Message[] = [];
  /** Messages for which this returns true are dropped instead of delivered. */
  dropIf: ((m: Message) => boolean) | null = null;
  private readonly cut = new Set<string>();
  private readonly down = new Set<NodeId>();
  private seed: number;

  constructor(
    readonly ids: NodeId[],
    private readonly extra: Partial<RaftCoreOptions> = {},
    seed = 1,
  ) {
    this.seed = seed;
    for (const id of ids) {
      this.disks.set(id, { hardState: { term: 0, vote: null, commit: 0 }, entries: [] });
      this.start(id);
    }
  }

  /** (Re)start a node from its disk. */
  start(id: NodeId): RaftCore {
    const disk = this.disks.get(id)!;
    const core = new RaftCore({
      id,
      voters: this.ids,
      prng: createPrng(this.seed++),
      hardState: disk.hardState,
      entries: disk.entries,
      ...this.extra,
    });
    this.nodes.set(id, core);
    this.applied.set(id, []);
    this.readStates.set(id, []);
    this.down.delete(id);
    return core;
  }

  /** Replace a node's disk with `disk` and restart it from there. */
  restore(id: NodeId, disk: Disk): RaftCore {
    this.disks.set(id, { hardState: disk.hardState, entries: [...disk.entries] });
    return this.start(id);
  }

  crash(id: NodeId): void {
    this.down.add(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  node(id: NodeId): RaftCore {
    return this.nodes.get(id)!;
  }

  isolate(id: NodeId): void {
    for (const o of this.ids) if (o !== id) { this.cut.add(`${id}>${o}`); this.cut.add(`${o}>${id}`); }
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
  }

  partition(...groups: NodeId[][]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cut.add(`${a}>${b}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Process every node's Ready once: persist, queue messages, apply. */
  processReady(): boolean {
    let any = false;
    for (const [id, core] of this.nodes) {
      if (this.down.has(id) || !core.hasReady()) continue;
      any = true;
      const rd = core.ready();
      const disk = this.disks.get(id)!;
      if (rd.hardState) disk.hardState = rd.hardState;
      if (rd.entries.length > 0) {
        const first = rd.entries[0]!.index;
        disk.entries = disk.entries.filter((e) => e.index < first).concat(rd.entries);
      }
      this.queue.push(...rd.messages, ...rd.messagesAfterPersist);
      this.applied.get(id)!.push(...rd.committedEntries);
      this.readStates.get(id)!.push(...rd.readStates);
      core.advance(rd);
    }
    return any;
  }

  /** Deliver every queued message once (dropping cut links); returns how many. */
  deliver(filter: (m: Message) => boolean = () => true): number {
    const q = this.queue;
    this.queue = [];
    let n = 0;
    for (const m of q) {
      if (this.down.has(m.to) || this.cut.has(`${m.from}>${m.to}`) || !filter(m)) continue;
      if (this.dropIf?.(m) === true) continue;
      this.delivered.push(m);
      this.nodes.get(m.to)?.step(m);
      n++;
    }
    return n;
  }

  /** Run Ready/deliver rounds until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      const a = this.processReady();
      const b = this.deliver();
      if (!a && b === 0) return;
    }
    throw new Error('cluster did not stabilize');
  }

  tick(ids: NodeId[] = this.ids, n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) if (!this.down.has(id)) this.nodes.get(id)!.tick();
      this.stabilize();
    }
  }

  /** Tick everyone until a leader exists (at most `maxTicks`); returns it. */
  electLeader(maxTicks = 200): RaftCore {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l) return l;
      this.tick();
    }
    throw new Error('no leader elected');
  }

  leader(): RaftCore | undefined {
    const ls = [...this.nodes.entries()].filter(([id, c]) => !this.down.has(id) && c.currentRole === 'leader').map(([, c]) => c);
    ls.sort((a, b) => b.currentTerm - a.currentTerm);
    return ls[0];
  }

  /** Data of applied normal entries of a node, as strings. */
  appliedData(id: NodeId): string[] {
    return this.applied.get(id)!.filter((e) => e.type === EntryType.Normal).map((e) => new TextDecoder().decode(e.data));
  }
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
