/**
 * A seeded, deterministic simulation of a Raft cluster: real `RaftCore`s on
 * virtual time, a lossy network (frames through the real codec, CRC and
 * all), a disk per node (the idealized model or the real `FileStorage` on a
 * `SimDisk`), crash / restart / pause / wipe, clients running reads, writes
 * and compare-and-sets against a replicated KV, and a swarm-picked fault
 * plan. Invariants are checked after every step; one seed replays one run.
 * @module
 */
import { decodeRaftFrame, encodeRaftFrame } from '../../codec/raft.js';
import { initialConfig, toStored } from '../../raft/core/confchange.js';
import { RaftCore } from '../../raft/core/raft.js';
import { EntryType, type Entry, type HardState, type Message, type NodeId, type Ready } from '../../raft/core/types.js';
import { PersistPipeline } from '../../raft/persist.js';
import type { PersistentState, StoredSnapshot } from '../../storage/storage.js';
import { PacketFabric } from '../../transport/fabric.js';
import { EventLoop, settleMicrotasks } from './event-loop.js';
import { SimStreams } from './faults.js';
import { InvariantChecker } from './invariants.js';
import { emptyKvState } from './kv-sm.js';
import type { RealApply } from './real-kv.js';
import { Replicas } from './replica.js';
import { resolveSimOptions, type RaftSimOptions, type ResolvedSimOptions } from './options.js';
import { memoryDiskFor, type NodeDisk, type SimNode } from './sim-node.js';
import { SimCounters } from './counters.js';
import { TraceHasher } from './trace.js';

export type { RaftSimOptions } from './options.js';

/** Something that wants to hear what nodes apply and which reads became safe (the clients). */
export interface SimObserver {
  /** `n` applied a client command at `index`; `ok` is the state machine's answer; `duplicate`: answered by the session table. */
  applied(n: SimNode, client: string, seq: number, ok: boolean, index: number, term: number, duplicate: boolean): void;
  /** @internal Real-KV runs: `n` applied a KV command at `index`. */
  appliedKv?(n: SimNode, a: RealApply, index: number, term: number): void;
  /** `n` may now serve the reads waiting on it (its read states and applied index moved). */
  readsReady(n: SimNode, states: readonly { index: number; ctx: number }[]): void;
  /** `n` went down (crash, wipe, fail-stop): what was pending there is unknown. */
  down(n: SimNode): void;
}

/** A deterministic simulated Raft cluster; see {@link runSim} for a whole checked run. */
export class RaftSim {
  /** The virtual-time loop everything runs on. */
  readonly loop = new EventLoop();
  /** The safety invariants, checked as events happen. */
  readonly checker = new InvariantChecker();
  /** Coverage counters. */
  readonly counters = new SimCounters();
  /** The seeded PRNG streams (faults, network, clients, disks). */
  readonly streams: SimStreams;
  /** @internal */ readonly nodes: SimNode[];
  /** @internal */ readonly o: ResolvedSimOptions;
  /** @internal */ readonly fabric: PacketFabric<Uint8Array>;
  /** The ids of the initial voters. */
  readonly ids: NodeId[];
  /** @internal */ observer: SimObserver | null = null;
  /** Whether losing `n`'s disk keeps every acknowledged write on a majority (set by {@link runSim}). */
  canLose: (n: SimNode) => boolean = () => true;
  /** Scenario hook: a node sends messages (before the fabric sees them). */
  onSend: ((from: SimNode, msgs: readonly Message[]) => void) | null = null;
  /** Scenario hook: a node starts persisting a Ready. */
  onPersist: ((n: SimNode, rd: Ready) => void) | null = null;
  /** @internal Promises of async storage in flight: the loop settles them before the next event. */
  io = 0;
  /** @internal Disk faults of the idealized disk, set by the fault plan. */
  readonly diskFaults = { failRate: 0, spikeRate: 0, spikeMs: 0, capacityBytes: Number.POSITIVE_INFINITY };
  /** A rolling hash of what happened (Readies, client outcomes), for the determinism self-test. */
  readonly trace = new TraceHasher();

  /** How leaders serve reads in this run. */
  readonly readMode: 'index' | 'lease';
  /** How nodes persist Readies: one at a time, or pipelined as `RaftNode` does (see `RaftSimOptions.writes`). */
  readonly writes: 'sync' | 'pipelined';
  /** What replicas apply: the simulator's register machine, or the real `KvStateMachine`. */
  readonly kvMode: 'sim' | 'real';
  /** @internal */ readonly replicas: Replicas;

  constructor(options: RaftSimOptions, makeDisk?: (sim: RaftSim, id: NodeId) => NodeDisk) {
    this.o = resolveSimOptions(options);
    this.streams = new SimStreams(this.o.seed);
    const r = this.o.readMode;
    this.readMode = r === 'auto' ? (this.streams.stream('read-mode').next() < 0.35 ? 'lease' : 'index') : r;
    const k = this.o.kv;
    this.kvMode = k === 'auto' ? (this.streams.stream('kv-mode').next() < this.o.realKvShare ? 'real' : 'sim') : k;
    const w = this.o.writes;
    this.writes = w === 'auto' ? (this.streams.stream('write-mode').next() < 0.5 ? 'pipelined' : 'sync') : w;
    this.replicas = new Replicas(this, this.kvMode === 'real');
    this.fabric = new PacketFabric(this.loop.clock(), this.streams.network, { minDelayMs: this.o.delayMs[0], maxDelayMs: this.o.delayMs[1] });
    this.ids = Array.from({ length: this.o.nodes }, (_, i) => `n${i + 1}`);
    const all = Array.from({ length: this.o.nodes + this.o.spares }, (_, i) => `n${i + 1}`);
    this.nodes = all.map((id) => ({
      id, core: null, disk: (makeDisk ?? memoryDiskFor)(this, id), pipeline: null, writing: false, scheduled: false, incarnation: 0, paused: null,
      wiped: false, tickScale: 1, failed: false, refused: false, rng: this.streams.jitter(id), sm: emptyKvState(), kv: null, config: this.initialConfig(id),
    }));
  }

  /** Boot every node. */
  start(): void {
    for (const n of this.nodes) this.boot(n);
  }

  // ---- nodes ------------------------------------------------------------------

  private initialConfig(id: NodeId): SimNode['config'] {
    return toStored(initialConfig(this.ids.includes(id) ? this.ids : []));
  }

  /** Whether `id` starts as a voter (spares and wiped nodes start knowing no configuration). */
  private startsAsVoter(n: SimNode): boolean {
    return this.ids.includes(n.id) && !n.wiped;
  }

  /** @internal Start a node from what its disk recovers (asynchronously for an async storage). */
  boot(n: SimNode): void {
    if (n.core !== null) return;
    const inc = ++n.incarnation;
    const st = n.disk.load();
    if (!(st instanceof Promise)) return this.bootFrom(n, st);
    st.then((s) => { if (n.incarnation === inc) this.bootFrom(n, s); }, (e: unknown) => { if (n.incarnation === inc) this.bootFailed(n, e); });
  }

  private bootFailed(n: SimNode, e: unknown): void {
    // A storage that refuses to start (corruption) stays down: the operator's move, which the sim models as a wipe.
    this.counters.add('refusedStarts');
    this.checker.now = this.loop.now;
    if (this.o.onRefusedStart === 'violation') this.checker.violations.push({ invariant: 'refused-start', detail: `${n.id}: ${String(e)}`, time: this.loop.now });
    n.failed = true;
    n.refused = true;
  }

  private bootFrom(n: SimNode, st: PersistentState): void {
    const loaded = this.replicas.load(n, st.snapshot?.data ?? null);
    if (loaded instanceof Promise) this.whenSettled(n, loaded, () => { if (n.core === null) this.bootCore(n, st); });
    else this.bootCore(n, st);
  }

  /** Run `fn` once a state-machine promise settles (counted as I/O in flight meanwhile), if `n` is the same process still. */
  private whenSettled<T>(n: SimNode, p: Promise<T>, fn: (v: T) => void): void {
    const inc = n.incarnation;
    this.io++;
    p.then((v) => { this.io--; if (n.incarnation === inc) fn(v); }, (e: unknown) => {
      this.io--;
      this.checker.violations.push({ invariant: 'snapshot', detail: `${n.id}: ${String(e)}`, time: this.loop.now });
    });
  }

  private bootCore(n: SimNode, st: PersistentState): void {
    n.writing = false;
    n.scheduled = false;
    n.failed = false;
    n.refused = false;
    const snap = st.snapshot;
    n.config = snap === null ? this.initialConfig(n.wiped ? '' : n.id) : snap.meta.config;
    n.core = new RaftCore({
      id: n.id, voters: this.startsAsVoter(n) ? this.ids : [], prng: n.rng.fork(`boot-${n.incarnation}`), electionTicks: this.o.electionTicks,
      heartbeatTicks: 1, preVote: this.o.preVote, checkQuorum: this.o.checkQuorum, maxMsgBytes: this.o.maxMsgBytes, snapshotChunkBytes: 256,
      readMode: this.readMode, asyncStorageWrites: this.writes === 'pipelined', hardState: st.hardState, entries: st.entries,
      ...(snap !== null ? { snapshot: { index: snap.meta.index, term: snap.meta.term, config: snap.meta.config, data: snap.data } } : {}),
    });
    n.pipeline = this.writes === 'pipelined' ? this.pipelineFor(n, st.hardState) : null;
    this.checker.restarted(n.id, st.entries, snap?.meta.index ?? 0);
    this.fabric.attach(n.id, (from, frame) => this.atNode(n, () => this.receive(n, from, frame)));
    this.scheduleTick(n, n.incarnation);
  }

  /** @internal Run `fn` at node `n` now, or when it resumes if paused. */
  atNode(n: SimNode, fn: () => void): void {
    if (n.paused !== null) n.paused.push(fn);
    else fn();
  }

  private scheduleTick(n: SimNode, inc: number): void {
    this.loop.schedule(this.o.tickMs, () => {
      if (n.incarnation !== inc) return;
      this.atNode(n, () => {
        if (n.core === null || n.incarnation !== inc) return;
        for (let i = 0; i < n.tickScale; i++) n.core.tick();
        this.kick(n);
      });
      this.scheduleTick(n, inc);
    });
  }

  private receive(n: SimNode, from: NodeId, frame: Uint8Array): void {
    if (n.core === null) return;
    let msgs: Message[];
    try {
      msgs = decodeRaftFrame(frame);
    } catch {
      this.counters.add('corruptRejected');
      return;
    }
    for (const m of msgs) if (m.from === from) n.core.step(m);
    this.kick(n);
  }

  /** @internal Process the node's Ready soon (once its previous write completed). */
  kick(n: SimNode): void {
    if (n.scheduled || n.writing || n.core === null) return;
    n.scheduled = true;
    const inc = n.incarnation;
    this.loop.schedule(0, () => this.atNode(n, () => {
      n.scheduled = false;
      if (n.incarnation === inc) this.processReady(n);
    }));
  }

  private processReady(n: SimNode): void {
    const core = n.core;
    if (core === null || n.writing || !core.hasReady()) return;
    const rd = core.ready();
    const commitAtReady = core.status().commitIndex;
    this.checker.now = this.loop.now;
    if (rd.softState?.role === 'leader') {
      this.counters.add('leaderChanges');
      this.checker.leader(n.id, rd.softState.term);
    }
    this.checkEntries(n, rd.entries, commitAtReady);
    this.trace.append(this.loop.now, n.id, rd.softState?.role, rd.hardState?.term, commitAtReady, rd.entries.length, rd.messages.length, rd.committedEntries.length);
    this.onPersist?.(n, rd);
    this.send(n.id, rd.messages);
    if (n.pipeline !== null) return this.processPipelined(n, n.pipeline, rd, commitAtReady);
    n.writing = true;
    const inc = n.incarnation;
    const done = (): void => this.atNode(n, () => {
      if (n.incarnation === inc && n.core !== null) this.completeWrite(n, rd, commitAtReady);
    });
    const fail = (e: unknown): void => { if (n.incarnation === inc) this.failStop(n, e); };
    if (rd.snapshot !== null) {
      const s = rd.snapshot;
      n.disk.saveSnapshot({ meta: { index: s.index, term: s.term, config: s.config }, data: s.data }, s.index, s.discardLog, () => n.disk.save(rd.hardState, rd.entries, done, fail), fail);
    } else {
      n.disk.save(rd.hardState, rd.entries, done, fail);
    }
  }

  /**
   * Pipelined writes, as RaftNode does them: the Ready's write joins the
   * node's pipeline and the Ready completes at once (its committed entries
   * are durable here already); a leader's snapshot waits for the pipeline
   * to drain and is written first, and no Ready is taken meanwhile.
   */
  private processPipelined(n: SimNode, p: PersistPipeline, rd: Ready, commitAtReady: number): void {
    if (rd.snapshot === null) return this.completeWrite(n, rd, commitAtReady);
    n.writing = true;
    const inc = n.incarnation;
    const s = rd.snapshot;
    const fail = (e: unknown): void => { if (n.incarnation === inc) this.failStop(n, e); };
    p.onIdle(() => {
      if (n.incarnation !== inc) return;
      n.disk.saveSnapshot({ meta: { index: s.index, term: s.term, config: s.config }, data: s.data }, s.index, s.discardLog, () => this.atNode(n, () => {
        if (n.incarnation === inc && n.core !== null) this.completeWrite(n, rd, commitAtReady);
      }), fail);
    });
  }

  /** A pipelined node's writes: completions run at the node (deferred while paused); a late one of an earlier incarnation is dropped. */
  private pipelineFor(n: SimNode, saved: HardState): PersistPipeline {
    const inc = n.incarnation;
    return new PersistPipeline({
      save: (u, done, fail) => n.disk.save(u.hardState, u.entries, () => this.atNode(n, () => { if (n.incarnation === inc) done(); }), (e) => { if (n.incarnation === inc) fail(e); }),
      durable: (after, last, hard) => {
        if (n.incarnation !== inc || n.core === null) return;
        this.checker.now = this.loop.now;
        if (hard !== null) this.checker.hardState(n.id, hard.term, hard.vote);
        this.send(n.id, after);
        if (last !== null) n.core.persisted(last.index, last.term);
        this.kick(n);
      },
      failed: (e) => { if (n.incarnation === inc) this.failStop(n, e); },
    }, saved);
  }

  /** Log Matching on new entries, and at most one uncommitted configuration change in a leader's log. */
  private checkEntries(n: SimNode, entries: readonly Entry[], commit: number): void {
    this.checker.entries(n.id, entries);
    if (n.core?.currentRole !== 'leader' || !entries.some((e) => e.type === EntryType.Config)) return;
    const pending = n.core.entries(commit + 1).filter((e) => e.type === EntryType.Config).length;
    if (pending > 1) this.checker.violations.push({ invariant: 'one-uncommitted-config', detail: `${n.id} has ${pending} uncommitted configuration entries`, time: this.loop.now });
  }

  private completeWrite(n: SimNode, rd: Ready, commitAtTake: number): void {
    const loaded = rd.snapshot !== null ? this.replicas.load(n, rd.snapshot.data) : undefined;
    if (loaded instanceof Promise) this.whenSettled(n, loaded, () => { if (n.core !== null) this.completeWriteNow(n, rd, commitAtTake); });
    else this.completeWriteNow(n, rd, commitAtTake);
  }

  private completeWriteNow(n: SimNode, rd: Ready, commitAtTake: number): void {
    this.checker.now = this.loop.now;
    if (rd.snapshot !== null) this.installed(n, rd);
    const commitAtReady = rd.snapshot !== null ? Math.max(commitAtTake, rd.snapshot.index) : commitAtTake;
    if (n.pipeline !== null) {
      // Written together with what is already waiting, after the write in flight.
      if (!n.pipeline.idle && (rd.entries.length > 0 || rd.hardState !== null)) this.counters.add('writesQueued');
      n.pipeline.push(rd.hardState, rd.entries, rd.messagesAfterPersist);
    } else {
      if (rd.hardState !== null) this.checker.hardState(n.id, rd.hardState.term, rd.hardState.vote);
      this.send(n.id, rd.messagesAfterPersist);
    }
    this.checker.commitIndex(n.id, commitAtReady);
    const fresh = rd.committedEntries.filter((e) => e.index > n.sm.index);
    this.checker.appliedEntries(n.id, fresh, commitAtReady);
    for (const e of fresh) this.replicas.apply(n, e);
    n.core!.advance(rd);
    n.writing = false;
    if (rd.readStates.length > 0) this.counters.add('readStates', rd.readStates.length);
    this.observer?.readsReady(n, rd.readStates);
    this.kick(n);
  }

  /** A snapshot from the leader is durable and the state machine restored from it. */
  private installed(n: SimNode, rd: Ready): void {
    const s = rd.snapshot!;
    n.config = s.config;
    this.counters.add('snapshotInstalls');
    this.checker.snapshotInstalled(n.id, s.index, this.replicas.hash(n), !s.discardLog);
  }

  /** @internal Encode and send messages, one frame per destination. */
  send(from: NodeId, msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    if (this.onSend !== null) this.onSend(this.nodes.find((n) => n.id === from)!, msgs);
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of msgs) {
      const l = byPeer.get(m.to);
      if (l === undefined) byPeer.set(m.to, [m]);
      else l.push(m);
    }
    for (const [to, list] of byPeer) this.fabric.send(from, to, encodeRaftFrame(list));
  }

  // ---- process faults -------------------------------------------------------------

  /** @internal The process dies: memory lost, the disk's crash rules applied. */
  crash(n: SimNode): void {
    if (n.core === null) return;
    this.counters.add('crashes');
    this.harvest(n);
    n.core = null;
    n.incarnation++;
    n.paused = null;
    n.disk.crash();
    this.fabric.detach(n.id);
    this.observer?.down(n);
  }

  private failStop(n: SimNode, e: unknown): void {
    this.counters.add('failStops');
    this.crash(n);
    n.failed = true;
    this.checker.now = this.loop.now;
    if (!(e instanceof Error)) this.counters.add('storageErrors');
  }

  /** @internal Add a core's counters to the simulator's (before it is dropped, or at the end). */
  harvest(n: SimNode): void {
    if (n.core === null) return;
    for (const [k, v] of Object.entries(n.core.counters)) this.counters.add(k, v);
  }

  /** @internal Crash and replace the disk with an empty one; the node restarts knowing no configuration. */
  wipe(n: SimNode): void {
    this.crash(n);
    n.disk.wipe();
    n.wiped = true;
    n.failed = false;
    n.refused = false;
    this.counters.add('wipes');
    this.checker.wiped(n.id);
  }

  /** @internal Stop running the node's events until {@link RaftSim.resume}. */
  pause(n: SimNode): void {
    if (n.core === null || n.paused !== null) return;
    this.counters.add('pauses');
    n.paused = [];
  }

  /** @internal Run the deferred events in order. */
  resume(n: SimNode): void {
    const q = n.paused;
    n.paused = null;
    if (q !== null) for (const fn of q) fn();
  }

  /** @internal A node snapshots its state machine at its applied index and compacts its log. */
  takeSnapshot(n: SimNode): void {
    const core = n.core;
    if (core === null || n.sm.index <= core.status().snapshotIndex) return;
    const meta = { index: n.sm.index, term: n.sm.term, config: n.config };
    const data = this.replicas.snapshot(n);
    if (data instanceof Promise) this.whenSettled(n, data, (d) => this.saveTaken(n, meta, d));
    else this.saveTaken(n, meta, data);
  }

  private saveTaken(n: SimNode, meta: StoredSnapshot['meta'], data: Uint8Array): void {
    const compactTo = Math.max(0, meta.index - this.o.trailingEntries);
    const inc = n.incarnation;
    n.disk.saveSnapshot({ meta, data }, compactTo, false, () => {
      if (n.incarnation !== inc || n.core === null || n.core.status().snapshotIndex >= meta.index) return;
      n.core.setSnapshot(meta.index, meta.term, meta.config, data);
      n.core.compact(Math.min(compactTo, n.core.status().appliedIndex));
      this.counters.add('snapshots');
    }, (e) => { if (n.incarnation === inc) this.failStop(n, e); });
  }

  /** @internal Run one event, first letting async storage settle. Returns false when nothing is left. */
  async step(): Promise<boolean> {
    if (this.io > 0) await settleMicrotasks();
    return this.loop.step();
  }

  /** @internal Run until virtual time `t`, or until `stop()` holds (time then stays where it stopped). */
  async runUntil(t: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      if (this.io > 0) await settleMicrotasks();
      if (stop()) return;
      const next = this.loop.pendingAt();
      if (next === undefined || next > t) break;
      this.loop.step();
    }
    this.loop.advanceTo(t);
  }

  /** The current leader (highest term), if any node thinks it leads. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes) {
      if (n.core?.currentRole !== 'leader' || n.paused !== null) continue;
      if (best === undefined || n.core.currentTerm > best.core!.currentTerm) best = n;
    }
    return best;
  }

  /** Nodes in the leader's configuration (removed nodes are left behind by design). */
  members(): SimNode[] {
    const l = this.leader() ?? this.nodes.find((n) => n.core !== null && n.core.configuration().voters.length > 0) ?? this.nodes[0]!;
    const cfg = l.core?.configuration() ?? l.config;
    const ids = new Set([...cfg.voters, ...cfg.outgoing, ...cfg.learners]);
    return this.nodes.filter((n) => ids.has(n.id));
  }
}
