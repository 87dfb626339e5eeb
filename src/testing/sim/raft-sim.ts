/**
 * A seeded, deterministic simulation of a Raft cluster: real `RaftCore`s on
 * virtual time, a lossy network (frames through the real codec), a disk per
 * node with write latency where only completed writes survive a crash, crash
 * and restart, partitions, and clients proposing unique values. Invariants
 * are checked after every step; one seed replays one run exactly.
 * @module
 */
import { decodeRaftFrame, encodeRaftFrame } from '../../codec/raft.js';
import { RaftCore } from '../../raft/core/raft.js';
import { EntryType, type Entry, type HardState, type Message, type NodeId, type Ready } from '../../raft/core/types.js';
import { PacketFabric } from '../../transport/fabric.js';
import { createPrng, type Prng } from '../../util/prng.js';
import { EventLoop } from './event-loop.js';
import { InvariantChecker, type Violation } from './invariants.js';

/** Options of one simulated run. */
export interface RaftSimOptions {
  /** The seed; one seed is one history. */
  seed: number;
  /** Cluster size. @default 3 */
  nodes?: number;
  /** Events to run in the fault phase. @default 5000 */
  steps?: number;
  /** Probability of dropping a frame during faults. @default 0.05 */
  dropRate?: number;
  /** Probability of duplicating a frame during faults. @default 0.02 */
  duplicateRate?: number;
  /** One-way network delay range, ms. @default [1, 10] */
  delayMs?: readonly [number, number];
  /** Disk write latency range, ms. @default [0, 5] */
  diskMs?: readonly [number, number];
  /** Logical tick length, ms. @default 10 */
  tickMs?: number;
  /** Election timeout in ticks. @default 10 */
  electionTicks?: number;
  /** Mean time between fault actions, ms. @default 300 */
  faultEveryMs?: number;
  /** Mean time between client proposals, ms. @default 5 */
  proposeEveryMs?: number;
  /** Virtual ms of healed running after the fault phase. @default 5000 */
  healMs?: number;
  /** PreVote on. @default true */
  preVote?: boolean;
  /** CheckQuorum on. @default true */
  checkQuorum?: boolean;
}

/** What a run found. */
export interface RaftSimResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly events: number;
  readonly virtualMs: number;
  readonly acked: number;
  readonly lostAcked: readonly string[];
  readonly leaderAfterHeal: boolean;
  readonly converged: boolean;
  readonly counters: Readonly<Record<string, number>>;
  /** The command that replays this run. */
  readonly replay: string;
}

interface SimNode {
  readonly id: NodeId;
  core: RaftCore | null;
  disk: { hardState: HardState; entries: Entry[] };
  writing: boolean;
  scheduled: boolean;
  incarnation: number;
  readonly rng: Prng;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A deterministic simulated Raft cluster. */
export class RaftSim {
  readonly loop = new EventLoop();
  readonly checker = new InvariantChecker();
  /** @internal */ readonly nodes: SimNode[];
  private readonly o: Required<RaftSimOptions>;
  private readonly fabric: PacketFabric<Uint8Array>;
  private readonly faultRng: Prng;
  private readonly clientRng: Prng;
  private readonly diskRng: Prng;
  private readonly ids: NodeId[];
  /** value → proposal (index, term) at the leader that accepted it. */
  private readonly proposed = new Map<string, { id: NodeId; index: number; term: number }>();
  private readonly acked = new Set<string>();
  private nextValue = 0;
  readonly counters: Record<string, number> = { crashes: 0, restarts: 0, partitions: 0, leaderChanges: 0, malformed: 0 };

  constructor(options: RaftSimOptions) {
    this.o = {
      nodes: 3, steps: 5000, dropRate: 0.05, duplicateRate: 0.02, delayMs: [1, 10], diskMs: [0, 5], tickMs: 10,
      electionTicks: 10, faultEveryMs: 300, proposeEveryMs: 5, healMs: 5000, preVote: true, checkQuorum: true, ...options,
    };
    const root = createPrng(this.o.seed);
    this.faultRng = root.fork('faults');
    this.clientRng = root.fork('clients');
    this.diskRng = root.fork('disk');
    this.fabric = new PacketFabric(this.loop.clock(), root.fork('network'), {
      drop: this.o.dropRate, duplicate: this.o.duplicateRate, minDelayMs: this.o.delayMs[0], maxDelayMs: this.o.delayMs[1],
    });
    this.ids = Array.from({ length: this.o.nodes }, (_, i) => `n${i + 1}`);
    this.nodes = this.ids.map((id) => ({
      id, core: null, disk: { hardState: { term: 0, vote: null, commit: 0 }, entries: [] }, writing: false, scheduled: false,
      incarnation: 0, rng: root.fork(`node-${id}`),
    }));
    for (const n of this.nodes) this.boot(n);
  }

  // ---- nodes ------------------------------------------------------------------

  private boot(n: SimNode): void {
    n.incarnation++;
    n.writing = false;
    n.scheduled = false;
    n.core = new RaftCore({
      id: n.id, voters: this.ids, prng: n.rng.fork(`boot-${n.incarnation}`), electionTicks: this.o.electionTicks,
      heartbeatTicks: 1, preVote: this.o.preVote, checkQuorum: this.o.checkQuorum, maxMsgBytes: 4096,
      hardState: n.disk.hardState, entries: n.disk.entries,
    });
    this.checker.restarted(n.id, n.disk.entries, 1);
    this.fabric.attach(n.id, (from, frame) => this.receive(n, from, frame));
    this.scheduleTick(n, n.incarnation);
  }

  private scheduleTick(n: SimNode, inc: number): void {
    this.loop.schedule(this.o.tickMs, () => {
      if (n.core === null || n.incarnation !== inc) return;
      n.core.tick();
      this.kick(n);
      this.scheduleTick(n, inc);
    });
  }

  private receive(n: SimNode, from: NodeId, frame: Uint8Array): void {
    if (n.core === null) return;
    let msgs: Message[];
    try {
      msgs = decodeRaftFrame(frame);
    } catch {
      this.counters.malformed!++;
      return;
    }
    for (const m of msgs) if (m.from === from) n.core.step(m);
    this.kick(n);
  }

  private kick(n: SimNode): void {
    if (n.scheduled || n.writing || n.core === null) return;
    n.scheduled = true;
    const inc = n.incarnation;
    this.loop.schedule(0, () => {
      n.scheduled = false;
      if (n.incarnation === inc) this.processReady(n);
    });
  }

  private processReady(n: SimNode): void {
    const core = n.core;
    if (core === null || n.writing || !core.hasReady()) return;
    const rd = core.ready();
    const commitAtReady = core.status().commitIndex;
    this.checker.now = this.loop.now;
    if (rd.softState?.role === 'leader') {
      this.counters.leaderChanges!++;
      this.checker.leader(n.id, rd.softState.term);
    }
    this.checker.entries(n.id, rd.entries);
    this.send(n.id, rd.messages);
    n.writing = true;
    const inc = n.incarnation;
    const [lo, hi] = this.o.diskMs;
    this.loop.schedule(lo + this.diskRng.next() * (hi - lo), () => {
      if (n.incarnation !== inc || n.core === null) return;
      this.completeWrite(n, rd, commitAtReady);
    });
  }

  private completeWrite(n: SimNode, rd: Ready, commitAtReady: number): void {
    this.checker.now = this.loop.now;
    if (rd.hardState !== null) {
      n.disk.hardState = rd.hardState;
      this.checker.hardState(n.id, rd.hardState.term, rd.hardState.vote);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      n.disk.entries = n.disk.entries.slice(0, Math.max(0, first - 1)).concat(rd.entries);
    }
    this.send(n.id, rd.messagesAfterPersist);
    this.checker.commitIndex(n.id, commitAtReady);
    this.checker.appliedEntries(n.id, rd.committedEntries, commitAtReady);
    for (const e of rd.committedEntries) this.observeApplied(n, e);
    n.core!.advance(rd);
    n.writing = false;
    this.kick(n);
  }

  private observeApplied(n: SimNode, e: Entry): void {
    if (e.type !== EntryType.Normal) return;
    const v = dec.decode(e.data);
    const p = this.proposed.get(v);
    if (p !== undefined && p.id === n.id && p.index === e.index && p.term === e.term) this.acked.add(v);
  }

  private send(from: NodeId, msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of msgs) {
      const l = byPeer.get(m.to);
      if (l === undefined) byPeer.set(m.to, [m]);
      else l.push(m);
    }
    for (const [to, list] of byPeer) this.fabric.send(from, to, encodeRaftFrame(list));
  }

  // ---- faults and clients -------------------------------------------------------

  private crash(n: SimNode): void {
    if (n.core === null) return;
    this.counters.crashes!++;
    // Memory is lost; the disk keeps only completed writes.
    n.core = null;
    n.incarnation++;
    this.fabric.detach(n.id);
  }

  private faultAction(): void {
    const r = this.faultRng.next();
    const alive = this.nodes.filter((n) => n.core !== null);
    const dead = this.nodes.filter((n) => n.core === null);
    if (r < 0.25) {
      this.fabric.heal();
    } else if (r < 0.45) {
      this.counters.partitions!++;
      const shuffled = [...this.ids].sort(() => this.faultRng.next() - 0.5);
      const cut = 1 + this.faultRng.int(this.ids.length - 1);
      this.fabric.heal();
      this.fabric.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
    } else if (r < 0.6) {
      const leader = alive.find((n) => n.core!.currentRole === 'leader');
      if (leader) this.fabric.isolate(leader.id, this.ids);
    } else if (r < 0.78 && alive.length > 0) {
      this.crash(alive[this.faultRng.int(alive.length)]!);
    } else if (dead.length > 0) {
      this.counters.restarts!++;
      this.boot(dead[this.faultRng.int(dead.length)]!);
    }
  }

  private propose(): void {
    const alive = this.nodes.filter((n) => n.core !== null);
    const leader = alive.find((n) => n.core!.currentRole === 'leader') ?? alive[this.clientRng.int(Math.max(1, alive.length))];
    if (leader?.core == null) return;
    const v = `v${this.nextValue++}`;
    const r = leader.core.propose([{ data: enc.encode(v) }]);
    if (r.ok && !r.forwarded) this.proposed.set(v, { id: leader.id, index: r.index, term: r.term });
    this.kick(leader);
  }

  private scheduleEvery(meanMs: number, rng: Prng, fn: () => void, until: () => boolean): void {
    this.loop.schedule(rng.next() * 2 * meanMs, () => {
      if (until()) return;
      fn();
      this.scheduleEvery(meanMs, rng, fn, until);
    });
  }

  // ---- running -------------------------------------------------------------------

  /** Run the fault phase, then heal everything and check the cluster recovers. */
  run(): RaftSimResult {
    let faultPhase = true;
    this.scheduleEvery(this.o.faultEveryMs, this.faultRng, () => this.faultAction(), () => !faultPhase);
    this.scheduleEvery(this.o.proposeEveryMs, this.clientRng, () => this.propose(), () => !faultPhase);
    const startEvents = this.loop.eventsRun;
    while (this.loop.eventsRun - startEvents < this.o.steps && this.checker.violations.length === 0) {
      if (!this.loop.step()) break;
    }
    faultPhase = false;
    const healed = this.heal();
    return this.result(healed);
  }

  private heal(): { leader: boolean; converged: boolean } {
    this.fabric.heal();
    this.fabric.setDefaults({ drop: 0, duplicate: 0 });
    for (const n of this.nodes) if (n.core === null) this.boot(n);
    const maxElection = 2 * this.o.electionTicks * this.o.tickMs;
    const leader = this.loop.runUntilTrue(() => this.nodes.some((n) => n.core?.currentRole === 'leader'), 2 * maxElection + 200);
    // One more proposal after healing makes every earlier entry commit with it.
    const l = this.nodes.find((n) => n.core?.currentRole === 'leader');
    if (l) l.core!.propose([{ data: enc.encode('final') }]);
    if (l) this.kick(l);
    this.loop.runFor(this.o.healMs);
    const commits = this.nodes.map((n) => n.core!.status().commitIndex);
    const applied = this.nodes.map((n) => n.core!.status().appliedIndex);
    const converged = commits.every((c) => c === commits[0]) && applied.every((a) => a === commits[0]);
    return { leader, converged };
  }

  private lostAcked(): string[] {
    const present = new Set<string>();
    const ref = this.nodes[0]!.core!;
    for (const e of ref.entries()) if (e.index <= ref.status().commitIndex && e.type === EntryType.Normal) present.add(dec.decode(e.data));
    return [...this.acked].filter((v) => !present.has(v));
  }

  private result(h: { leader: boolean; converged: boolean }): RaftSimResult {
    const lost = this.lostAcked();
    const violations = [...this.checker.violations];
    if (lost.length > 0) violations.push({ invariant: 'acked-durable', detail: `acknowledged values missing: ${lost.slice(0, 5).join(', ')}`, time: this.loop.now });
    const counters: Record<string, number> = { ...this.counters };
    for (const n of this.nodes) for (const [k, v] of Object.entries(n.core!.counters)) counters[k] = (counters[k] ?? 0) + v;
    return {
      seed: this.o.seed, violations, events: this.loop.eventsRun, virtualMs: this.loop.now, acked: this.acked.size,
      lostAcked: lost, leaderAfterHeal: h.leader, converged: h.converged, counters,
      replay: `npm run sim -- --seed ${this.o.seed} --nodes ${this.o.nodes} --steps ${this.o.steps}`,
    };
  }
}
