/**
 * A seeded, deterministic simulation of a Raft cluster: real `RaftCore`s on
 * virtual time, a lossy network (frames through the real codec), a disk per
 * node with write latency where only completed writes survive a crash, crash
 * and restart, partitions, and clients proposing unique values. Invariants
 * are checked after every step; one seed replays one run exactly.
 * @module
 */
import { decodeRaftFrame, encodeRaftFrame } from '../../codec/raft.js';
import { decodeConfig, initialConfig, toStored } from '../../raft/core/confchange.js';
import { RaftCore } from '../../raft/core/raft.js';
import { EntryType, type Entry, type HardState, type Message, type NodeId, type Ready, type SnapshotConfig } from '../../raft/core/types.js';
import { PacketFabric } from '../../transport/fabric.js';
import { createPrng, type Prng } from '../../util/prng.js';
import { EventLoop } from './event-loop.js';
import { entryHash, InvariantChecker, type Violation } from './invariants.js';

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
  /** Spare nodes that membership changes may add (ids are never reused). @default 2 */
  spares?: number;
  /** Entries kept behind a snapshot. @default 10 */
  trailingEntries?: number;
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

interface SimSnapshot {
  readonly meta: { readonly index: number; readonly term: number; readonly config: SnapshotConfig };
  readonly data: Uint8Array;
}

interface SimNode {
  readonly id: NodeId;
  core: RaftCore | null;
  disk: { hardState: HardState; entries: Entry[]; snapshot: SimSnapshot | null };
  /** The simulated state machine: applied index, rolling hash of applied commands, config in force. */
  sm: { index: number; term: number; hash: number; config: SnapshotConfig };
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
  /** Every value some replica applied (State Machine Safety makes them one history). */
  private readonly committedValues = new Set<string>();
  private nextValue = 0;
  readonly counters: Record<string, number> = {
    crashes: 0, restarts: 0, partitions: 0, leaderChanges: 0, malformed: 0, snapshots: 0, snapshotInstalls: 0, configChanges: 0, transfers: 0,
  };

  constructor(options: RaftSimOptions) {
    this.o = {
      nodes: 3, steps: 5000, dropRate: 0.05, duplicateRate: 0.02, delayMs: [1, 10], diskMs: [0, 5], tickMs: 10,
      electionTicks: 10, faultEveryMs: 300, proposeEveryMs: 5, healMs: 5000, preVote: true, checkQuorum: true, spares: 2,
      trailingEntries: 10, ...options,
    };
    const root = createPrng(this.o.seed);
    this.faultRng = root.fork('faults');
    this.clientRng = root.fork('clients');
    this.diskRng = root.fork('disk');
    this.fabric = new PacketFabric(this.loop.clock(), root.fork('network'), {
      drop: this.o.dropRate, duplicate: this.o.duplicateRate, minDelayMs: this.o.delayMs[0], maxDelayMs: this.o.delayMs[1],
    });
    this.ids = Array.from({ length: this.o.nodes }, (_, i) => `n${i + 1}`);
    const all = Array.from({ length: this.o.nodes + this.o.spares }, (_, i) => `n${i + 1}`);
    this.nodes = all.map((id) => ({
      id, core: null, disk: { hardState: { term: 0, vote: null, commit: 0 }, entries: [], snapshot: null }, writing: false, scheduled: false,
      incarnation: 0, rng: root.fork(`node-${id}`), sm: this.emptyState(id),
    }));
    for (const n of this.nodes) this.boot(n);
  }

  // ---- nodes ------------------------------------------------------------------

  private emptyState(id: NodeId): SimNode['sm'] {
    const spare = !this.ids.includes(id);
    return { index: 0, term: 0, hash: 0, config: toStored(initialConfig(spare ? [] : this.ids)) };
  }

  private boot(n: SimNode): void {
    n.incarnation++;
    n.writing = false;
    n.scheduled = false;
    const snap = n.disk.snapshot;
    n.sm = snap === null ? this.emptyState(n.id) : { ...decodeState(snap.data), term: snap.meta.term, config: snap.meta.config };
    const spare = !this.ids.includes(n.id);
    n.core = new RaftCore({
      id: n.id, voters: spare ? [] : this.ids, prng: n.rng.fork(`boot-${n.incarnation}`), electionTicks: this.o.electionTicks,
      heartbeatTicks: 1, preVote: this.o.preVote, checkQuorum: this.o.checkQuorum, maxMsgBytes: 4096, snapshotChunkBytes: 64,
      hardState: n.disk.hardState, entries: n.disk.entries,
      ...(snap !== null ? { snapshot: { index: snap.meta.index, term: snap.meta.term, config: snap.meta.config, data: snap.data } } : {}),
    });
    this.checker.restarted(n.id, n.disk.entries, snap?.meta.index ?? 0);
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

  private completeWrite(n: SimNode, rd: Ready, commitAtTake: number): void {
    this.checker.now = this.loop.now;
    if (rd.snapshot !== null) this.install(n, rd);
    // An installed snapshot is committed by definition, even if the commit index seen at ready() was lower.
    const commitAtReady = rd.snapshot !== null ? Math.max(commitAtTake, rd.snapshot.index) : commitAtTake;
    if (rd.hardState !== null) {
      n.disk.hardState = rd.hardState;
      this.checker.hardState(n.id, rd.hardState.term, rd.hardState.vote);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      n.disk.entries = n.disk.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    this.send(n.id, rd.messagesAfterPersist);
    this.checker.commitIndex(n.id, commitAtReady);
    const fresh = rd.committedEntries.filter((e) => e.index > n.sm.index);
    this.checker.appliedEntries(n.id, fresh, commitAtReady);
    for (const e of fresh) this.observeApplied(n, e);
    n.core!.advance(rd);
    n.writing = false;
    this.kick(n);
  }

  /** A snapshot from the leader: durable on the simulated disk, then the state machine restored from it. */
  private install(n: SimNode, rd: Ready): void {
    const s = rd.snapshot!;
    const kept = !s.discardLog;
    n.disk.snapshot = { meta: { index: s.index, term: s.term, config: s.config }, data: s.data };
    n.disk.entries = s.discardLog ? [] : n.disk.entries.filter((e) => e.index > s.index);
    const st = decodeState(s.data);
    n.sm = { index: st.index, hash: st.hash, term: s.term, config: s.config };
    this.counters.snapshotInstalls!++;
    this.checker.snapshotInstalled(n.id, s.index, st.hash, kept);
  }

  private observeApplied(n: SimNode, e: Entry): void {
    n.sm.index = e.index;
    n.sm.term = e.term;
    if (e.type === EntryType.Config) {
      const c = decodeConfig(e.data);
      if (c !== null) n.sm.config = toStored(c);
    }
    if (e.type !== EntryType.Normal) {
      this.checker.stateHash(n.id, e.index, n.sm.hash);
      return;
    }
    n.sm.hash = Math.imul(n.sm.hash ^ entryHash(e), 0x01000193) >>> 0;
    this.checker.stateHash(n.id, e.index, n.sm.hash);
    const v = dec.decode(e.data);
    const p = this.proposed.get(v);
    if (p !== undefined && p.id === n.id && p.index === e.index && p.term === e.term) this.acked.add(v);
    this.committedValues.add(v);
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
    } else if (r < 0.7 && alive.length > 0) {
      this.crash(alive[this.faultRng.int(alive.length)]!);
    } else if (r < 0.8 && alive.length > 0) {
      this.takeSnapshot(alive[this.faultRng.int(alive.length)]!);
    } else if (r < 0.85) {
      this.reconfigure(alive);
    } else if (r < 0.9) {
      const leader = alive.find((n) => n.core!.currentRole === 'leader');
      if (leader !== undefined && leader.core!.transferLeadership().ok) this.counters.transfers!++;
      if (leader !== undefined) this.kick(leader);
    } else if (dead.length > 0) {
      this.counters.restarts!++;
      this.boot(dead[this.faultRng.int(dead.length)]!);
    }
  }

  /** A node snapshots its state machine at its applied index and compacts its log. */
  private takeSnapshot(n: SimNode): void {
    const core = n.core!;
    const prev = n.disk.snapshot?.meta.index ?? 0;
    if (n.sm.index <= prev) return;
    const data = encodeState(n.sm.index, n.sm.hash);
    const meta = { index: n.sm.index, term: n.sm.term, config: n.sm.config };
    const compactTo = Math.max(0, meta.index - this.o.trailingEntries);
    n.disk.snapshot = { meta, data };
    n.disk.entries = n.disk.entries.filter((e) => e.index > compactTo);
    core.setSnapshot(meta.index, meta.term, meta.config, data);
    core.compact(compactTo);
    this.counters.snapshots!++;
  }

  /** On the leader: add a spare as a voter, or remove a voter (never reusing ids). */
  private reconfigure(alive: SimNode[]): void {
    const leader = alive.find((n) => n.core!.currentRole === 'leader');
    if (leader === undefined) return;
    const cfg = leader.core!.configuration();
    const members = new Set([...cfg.voters, ...cfg.learners]);
    const spare = this.nodes.find((n) => !members.has(n.id) && !cfg.removed.includes(n.id) && !this.ids.includes(n.id));
    const change = spare !== undefined && this.faultRng.next() < 0.6
      ? { addVoters: [spare.id] }
      : cfg.voters.length > 3 ? { removeVoters: [cfg.voters[this.faultRng.int(cfg.voters.length)]!] } : null;
    if (change === null) return;
    if (leader.core!.changeMembership(change).ok) this.counters.configChanges!++;
    this.kick(leader);
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
    const members = this.members();
    const commits = members.map((n) => n.core!.status().commitIndex);
    const applied = members.map((n) => n.sm.index);
    const converged = commits.every((c) => c === commits[0]) && applied.every((a) => a === commits[0]);
    return { leader, converged };
  }

  /** Nodes in the leader's configuration (removed nodes are left behind by design). */
  private members(): SimNode[] {
    const l = this.nodes.find((n) => n.core?.currentRole === 'leader') ?? this.nodes[0]!;
    const cfg = l.core!.configuration();
    const ids = new Set([...cfg.voters, ...cfg.learners]);
    return this.nodes.filter((n) => ids.has(n.id));
  }

  /** Acknowledged values missing from what the cluster committed (applied hashes prove the prefix). */
  private lostAcked(): string[] {
    return [...this.acked].filter((v) => !this.committedValues.has(v));
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

/** The simulated state machine's snapshot: applied index and state hash. */
function encodeState(index: number, hash: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setFloat64(0, index);
  v.setUint32(8, hash);
  return b;
}

function decodeState(b: Uint8Array): { index: number; hash: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { index: v.getFloat64(0), hash: v.getUint32(8) };
}
