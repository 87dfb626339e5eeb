/**
 * `RaftNode`, the driver: owns the timers, the storage and transport
 * adapters and the apply loop around the pure {@link RaftCore}, and turns
 * proposals and reads into Promises that always settle.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { TimerHandle } from '../clock.js';
import {
  ConfigChangeInProgressError,
  InvalidInputError,
  LeadershipLostError,
  NoQuorumError,
  NotLeaderError,
  ProposalDroppedError,
  StorageFailureError,
  StoppedError,
  TimeoutError,
} from '../errors.js';
import { decodeConfig, initialConfig, toStored, type MembershipChange } from './core/confchange.js';
import type { ChangeResult } from './core/membership.js';
import { RaftCore } from './core/raft.js';
import type { CoreStatus } from './core/status.js';
import { EntryType, type Entry, type HardState, type NodeId, type Ready, type ReadySnapshot, type Role, type SnapshotConfig, type SoftState } from './core/types.js';
import { resolveNodeOptions, type RaftNodeOptions, type ResolvedNodeOptions } from './options.js';
import { PendingProposals, PendingReads, type Waiter } from './pending.js';
import { PersistPipeline } from './persist.js';
import { Snapshotter, type AppliedPoint } from './snapshotter.js';
import type { StateMachine } from './state-machine.js';
import { CatchUpWaiters, ConfigWaiters } from './waiters.js';

/** Events of a {@link RaftNode}. */
export interface RaftNodeEvents {
  /** The node's role changed. */
  roleChange: (role: Role, term: number) => void;
  /** The known leader changed (null: none known). */
  leaderChange: (leaderId: NodeId | null, term: number) => void;
  /** Entries up to `index` were applied to the state machine. */
  applied: (index: number) => void;
  /** A fatal error; the node stops itself after emitting it. */
  error: (err: Error) => void;
  /** A new cluster configuration is in force on this node (its entry applied, or a snapshot installed). */
  membershipChange: (config: SnapshotConfig) => void;
}

/** Options of {@link RaftNode.changeMembership}. */
export interface ChangeMembershipOptions {
  /** Apply even if the new voters would have no reachable quorum. @default false */
  force?: boolean;
  /** Addresses of members being added. */
  addresses?: Readonly<Record<NodeId, string>>;
}

/** What {@link RaftNode.status} returns. */
export interface RaftStatus extends CoreStatus {
  /** Whether the node is running. */
  readonly running: boolean;
}

type Lifecycle = 'new' | 'starting' | 'running' | 'stopped';

/**
 * A Raft replica: give it an id, its peers, a transport, storage and a state
 * machine; `propose` commands and read linearizably.
 *
 * @example
 * ```ts
 * const net = new MemoryNetwork();
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => new RaftNode({
 *   id, peers: ids, transport: net.transport(id), storage: new MemoryStorage(), stateMachine: new MyMachine(),
 * }));
 * await Promise.all(nodes.map((n) => n.start()));
 * const result = await nodes[0].propose(new TextEncoder().encode('set x 1'));
 * ```
 */
export class RaftNode<R = unknown> extends EventEmitter<RaftNodeEvents> {
  private readonly o: ResolvedNodeOptions<R>;
  private core: RaftCore | null = null;
  private lifecycle: Lifecycle = 'new';
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private tickTimer: TimerHandle | null = null;
  private readyScheduled = false;
  private readyRunning = false;
  private readyTimer: TimerHandle | null = null;
  private proposalQueue: { data: Uint8Array; w: Waiter<R> }[] = [];
  /** Reads asked for in this turn of the event loop: they share one read request. */
  private readQueue: Waiter<void>[] = [];
  private readonly proposals = new PendingProposals<R>();
  private readonly reads = new PendingReads();
  private readCtx = 0;
  private seq: number;
  private readonly origin: string;
  private lastApplied = 0;
  private tickNow = 0;
  private lastTickAt = 0;
  private persist: PersistPipeline | null = null;
  private appliedTerm = 0;
  private appliedConfig: SnapshotConfig;
  private soft: SoftState = { role: 'follower', leaderId: null, term: 0 };
  private readonly configWaiters = new ConfigWaiters();
  private readonly catchUps = new CatchUpWaiters();
  private readonly snapshotter: Snapshotter;

  constructor(options: RaftNodeOptions<R>) {
    super();
    this.o = resolveNodeOptions(options);
    // Forwarded proposals are matched by (origin, seq); a random start keeps a restarted node's numbers apart.
    this.origin = this.o.id;
    this.seq = this.o.prng.int(2 ** 31) * 2 ** 20;
    this.appliedConfig = toStored(initialConfig(this.o.peers));
    this.snapshotter = new Snapshotter(this.o, this.o.stateMachine as StateMachine<unknown>, this.o.storage);
  }

  /** This node's id. */
  get id(): NodeId {
    return this.o.id;
  }

  /** The state machine this node applies to. */
  get stateMachine(): StateMachine<R> {
    return this.o.stateMachine;
  }

  /** Current role. */
  get role(): Role {
    return this.core?.currentRole ?? 'follower';
  }

  /** The known leader, or null. */
  get leaderId(): NodeId | null {
    return this.core?.currentLeader ?? null;
  }

  /** Whether this node is the leader now. */
  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Load persistent state, start the transport and the clock. Idempotent. */
  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    this.lifecycle = 'starting';
    const persisted = await this.o.storage.load();
    if (this.lifecycle !== 'starting') return;
    this.persist = this.persistPipeline(persisted.hardState);
    const snap = persisted.snapshot;
    if (snap !== null) {
      await this.o.stateMachine.restore(snap.data);
      this.appliedConfig = snap.meta.config;
      this.appliedTerm = snap.meta.term;
      this.snapshotter.reset(snap.meta.index);
    }
    this.core = new RaftCore({
      id: this.o.id,
      voters: this.o.peers,
      prng: this.o.prng,
      electionTicks: this.o.electionTicks,
      heartbeatTicks: this.o.heartbeatTicks,
      preVote: this.o.preVote,
      checkQuorum: this.o.checkQuorum,
      forwardProposals: this.o.forwardProposals,
      maxInflightMsgs: this.o.maxInflightMsgs,
      maxInflightBytes: this.o.maxInflightBytes,
      maxMsgBytes: this.o.maxMsgBytes,
      maxUncommittedBytes: this.o.maxUncommittedBytes,
      snapshotChunkBytes: this.o.snapshotChunkBytes,
      snapshotChunkTimeoutTicks: this.o.snapshotChunkTimeoutTicks,
      readMode: this.o.readMode,
      leaseDriftTicks: this.o.leaseDriftTicks,
      asyncStorageWrites: true,
      hardState: persisted.hardState,
      entries: persisted.entries,
      ...(snap !== null ? { snapshot: { index: snap.meta.index, term: snap.meta.term, config: snap.meta.config, data: snap.data } } : {}),
    });
    this.lastApplied = persisted.snapshot?.meta.index ?? 0;
    if (this.o.forceNewCluster) this.core.forceNewCluster();
    this.soft = { role: 'follower', leaderId: null, term: persisted.hardState.term };
    await this.o.transport.start((m) => this.onMessage(m));
    if (this.lifecycle !== 'starting') return;
    this.lifecycle = 'running';
    this.tickNow = this.o.clock.now();
    this.lastTickAt = this.tickNow;
    this.armTick();
    this.scheduleReady();
  }

  /** Stop timers and transport; every pending promise rejects with `StoppedError`. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.lifecycle = 'stopped';
    if (this.tickTimer !== null) this.o.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    if (this.readyTimer !== null) this.o.clock.clearTimeout(this.readyTimer);
    this.readyTimer = null;
    const stopped = () => new StoppedError();
    // Reads and catch-up waits had no effect: definitely not done.
    const stoppedDefinite = () => new StoppedError('The node is stopped', { definite: true });
    for (const p of this.proposalQueue) p.w.reject(stopped());
    this.proposalQueue = [];
    this.proposals.failAll(stopped);
    for (const w of this.readQueue) w.reject(stoppedDefinite());
    this.readQueue = [];
    this.reads.failAll(stoppedDefinite);
    this.configWaiters.failAll(stopped);
    this.catchUps.failAll(stoppedDefinite);
    await this.o.transport.close();
    await this.o.storage.close?.();
  }

  /**
   * Replicate a command; resolves with the state machine's result once it is
   * applied on this node. Rejects with `NotLeaderError` (definite),
   * `ProposalDroppedError` (definite), `LeadershipLostError` or
   * `TimeoutError` (indefinite: it may still apply), or `StoppedError`.
   */
  propose(command: Uint8Array): Promise<R> {
    if (!(command instanceof Uint8Array)) return Promise.reject(new InvalidInputError('propose: expected a Uint8Array command'));
    if (command.byteLength > this.o.maxCommandBytes) {
      return Promise.reject(new InvalidInputError(`propose: command of ${command.byteLength} bytes exceeds maxCommandBytes (${this.o.maxCommandBytes})`));
    }
    if (this.lifecycle !== 'running') return Promise.reject(new StoppedError('The node is not running', { definite: true }));
    return new Promise<R>((resolve, reject) => {
      if (this.proposalQueue.length === 0) queueMicrotask(() => this.flushProposals());
      this.proposalQueue.push({ data: command, w: { resolve, reject, deadline: this.deadline() } });
    });
  }

  /** Hand every queued proposal to the core in one batch (one append per follower). */
  private flushProposals(): void {
    const batch = this.proposalQueue;
    this.proposalQueue = [];
    const core = this.core;
    if (batch.length === 0 || core === null || this.lifecycle !== 'running') return;
    const leader = core.currentRole === 'leader';
    const firstSeq = this.seq;
    if (!leader) this.seq += batch.length;
    const result = core.propose(batch.map((p, i) => (leader ? { data: p.data } : { data: p.data, origin: this.origin, seq: firstSeq + i })));
    if (!result.ok) {
      const err = () =>
        result.reason === 'not-leader'
          ? new NotLeaderError(result.leaderId, this.addressOf(result.leaderId))
          : new ProposalDroppedError(result.reason === 'transferring' ? 'Leadership transfer in progress' : 'Too many uncommitted bytes; retry later');
      for (const p of batch) p.w.reject(err());
      return;
    }
    if (result.forwarded) batch.forEach((p, i) => this.proposals.addForwarded(firstSeq + i, p.w));
    else batch.forEach((p, i) => this.proposals.addAt(result.index + i, result.term, p.w));
    this.scheduleReady();
  }

  /**
   * Wait until this node's state machine reflects every write committed
   * before the call (ReadIndex, §6.4). Works on followers too (the leader is
   * asked for the read index). Rejects with `NotLeaderError` if no leader is
   * known, or becomes unknown while it waits (a read is safe to retry).
   */
  read(): Promise<void> {
    const core = this.core;
    if (this.lifecycle !== 'running' || core === null) return Promise.reject(new StoppedError('The node is not running', { definite: true }));
    // A lease is judged on current time: count any ticks a pause swallowed first.
    if (this.o.readMode === 'lease') this.syncTicks();
    return new Promise<void>((resolve, reject) => {
      if (this.readQueue.length === 0) queueMicrotask(() => this.flushReads());
      this.readQueue.push({ resolve, reject, deadline: this.o.clock.now() + this.o.requestTimeoutMs });
    });
  }

  /**
   * One read request for every read asked for since the last flush: each
   * was called before the request leaves, so the read index the leader
   * fixes afterwards is a valid barrier for all of them (as proposals share
   * one append).
   */
  private flushReads(): void {
    const batch = this.readQueue;
    this.readQueue = [];
    const core = this.core;
    if (batch.length === 0) return;
    if (core === null || this.lifecycle !== 'running') {
      for (const w of batch) w.reject(new StoppedError('The node is not running', { definite: true }));
      return;
    }
    const ctx = ++this.readCtx;
    this.reads.add(ctx, batch.length === 1 ? batch[0]! : {
      resolve: () => { for (const w of batch) w.resolve(); },
      reject: (e) => { for (const w of batch) w.reject(e); },
      deadline: batch[0]!.deadline,
    });
    const r = core.readIndex(ctx);
    if (!r.ok) this.reads.fail(ctx, new NotLeaderError(r.leaderId, this.addressOf(r.leaderId)));
    this.scheduleReady();
  }

  /**
   * Run `fn` against the state machine after a linearizable read barrier.
   *
   * @example
   * ```ts
   * const value = await node.linearizableRead((sm) => sm.get('x'));
   * ```
   */
  async linearizableRead<T>(fn: (stateMachine: StateMachine<R>) => T): Promise<T> {
    await this.read();
    return fn(this.o.stateMachine);
  }

  /**
   * Resolve with the leader's id as soon as one is known (at once if it
   * already is); reject with `TimeoutError` after `timeoutMs`.
   *
   * @example
   * ```ts
   * await node.start();
   * const leader = await node.waitForLeader();
   * ```
   */
  waitForLeader(timeoutMs = this.o.requestTimeoutMs): Promise<NodeId> {
    const known = this.leaderId;
    if (known !== null && this.lifecycle === 'running') return Promise.resolve(known);
    return new Promise<NodeId>((resolve, reject) => {
      const onLeader = (id: NodeId | null) => {
        if (id === null) return;
        this.o.clock.clearTimeout(timer);
        this.off('leaderChange', onLeader);
        resolve(id);
      };
      const timer = this.o.clock.setTimeout(() => {
        this.off('leaderChange', onLeader);
        reject(new TimeoutError('No leader became known in time', { definite: true }));
      }, timeoutMs);
      this.on('leaderChange', onLeader);
    });
  }

  /**
   * Change the cluster's membership in one step (leader only). A change of
   * voters goes through a joint configuration, left automatically; resolves
   * with the final configuration once it is in force on this node. Rejects
   * with `ConfigChangeInProgressError` while another change is uncommitted,
   * `NoQuorumError` if the new voters would have no reachable quorum (unless
   * `force`), `InvalidInputError` for an impossible change (e.g. reusing a
   * removed id), `NotLeaderError` on a follower.
   *
   * @example
   * ```ts
   * await leader.changeMembership({ addVoters: ['d'], removeVoters: ['a'] }, { addresses: { d: 'tcp://10.0.0.4:7000' } });
   * ```
   */
  changeMembership(change: MembershipChange, options: ChangeMembershipOptions = {}): Promise<SnapshotConfig> {
    const core = this.core;
    if (this.lifecycle !== 'running' || core === null) return Promise.reject(new StoppedError('The node is not running', { definite: true }));
    const r = core.changeMembership(change, { ...(options.force !== undefined ? { force: options.force } : {}), ...(options.addresses ? { addresses: options.addresses } : {}) });
    if (!r.ok) return Promise.reject(this.changeError(r));
    this.scheduleReady();
    return new Promise<SnapshotConfig>((resolve, reject) => {
      this.configWaiters.add(r.target, r.index, r.term, { resolve, reject, deadline: this.o.clock.now() + this.o.requestTimeoutMs });
    });
  }

  private changeError(r: Extract<ChangeResult, { ok: false }>): Error {
    switch (r.reason) {
      case 'not-leader':
        return new NotLeaderError(this.leaderId, this.addressOf(this.leaderId));
      case 'in-progress':
        return new ConfigChangeInProgressError(`A configuration change is in progress: ${r.detail}`);
      case 'no-quorum':
        return new NoQuorumError(`Refused: ${r.detail}`);
      case 'transferring':
        return new ProposalDroppedError('A leadership transfer is in progress');
      default:
        return new InvalidInputError(`Invalid membership change: ${r.detail}`);
    }
  }

  /**
   * Add a learner (a non-voting member that receives the log). With
   * `waitForCatchUp` it resolves only once the learner holds every entry
   * committed when it was added.
   */
  async addLearner(id: NodeId, address?: string, options: { waitForCatchUp?: boolean } = {}): Promise<void> {
    await this.changeMembership({ addLearners: [id] }, address === undefined ? {} : { addresses: { [id]: address } });
    if (options.waitForCatchUp) await this.waitForCatchUp(id);
  }

  /**
   * Add a voter (through a joint configuration). A new voter counts towards
   * the quorum at once but votes only once it has learned its configuration
   * from the leader: until then, losing one more voter can leave no electable
   * quorum (4 voters, 2 of them unable to vote). To grow a cluster that must
   * stay available meanwhile, add a learner, let it catch up, then promote it.
   *
   * @example
   * ```ts
   * await leader.addLearner('d', 'tcp://10.0.0.4:7000', { waitForCatchUp: true });
   * await leader.promote('d');
   * ```
   */
  async addVoter(id: NodeId, address?: string): Promise<void> {
    await this.changeMembership({ addVoters: [id] }, address === undefined ? {} : { addresses: { [id]: address } });
  }

  /** Remove a voter or a learner. Removing the leader itself is allowed: it steps down once the change commits. */
  async removeServer(id: NodeId): Promise<void> {
    const isLearner = this.core?.status().learners.includes(id) ?? false;
    await this.changeMembership(isLearner ? { removeLearners: [id] } : { removeVoters: [id] });
  }

  /** Make a learner a voter, once it has caught up with the log. */
  async promote(id: NodeId): Promise<void> {
    if (!(this.core?.status().learners.includes(id) ?? false)) throw new InvalidInputError(`promote: ${id} is not a learner`);
    await this.waitForCatchUp(id);
    await this.changeMembership({ addVoters: [id] });
  }

  /** Make a voter a learner. */
  async demote(id: NodeId): Promise<void> {
    await this.changeMembership({ removeVoters: [id], addLearners: [id] });
  }

  /** Resolve once member `id` holds every entry committed now (leader only). */
  private waitForCatchUp(id: NodeId): Promise<void> {
    const core = this.core;
    if (core === null || !this.isLeader) return Promise.reject(new NotLeaderError(this.leaderId, this.addressOf(this.leaderId)));
    const target = core.status().commitIndex;
    return new Promise<void>((resolve, reject) => {
      this.catchUps.add(id, target, { resolve, reject, deadline: this.o.clock.now() + this.o.requestTimeoutMs });
      this.checkCatchUps();
    });
  }

  private checkCatchUps(): void {
    if (this.catchUps.size === 0) return;
    const progress = this.core?.status().progress ?? null;
    this.catchUps.check((id) => progress?.[id]?.match, this.o.clock.now());
  }

  /**
   * Hand leadership to `to` (or to the most caught-up voter): the target is
   * caught up, then told to campaign at once. Proposals fail with
   * `ProposalDroppedError` meanwhile. Resolves with the new leader's id;
   * rejects with `TimeoutError` if it did not happen within an election
   * timeout (leadership stays here), `InvalidInputError` for an unknown or
   * learner target.
   */
  transferLeadership(to?: NodeId): Promise<NodeId> {
    const core = this.core;
    if (this.lifecycle !== 'running' || core === null) return Promise.reject(new StoppedError('The node is not running', { definite: true }));
    const r = core.transferLeadership(to);
    if (!r.ok) {
      if (r.reason === 'not-leader') return Promise.reject(new NotLeaderError(this.leaderId, this.addressOf(this.leaderId)));
      return Promise.reject(new InvalidInputError(`transferLeadership: ${r.reason === 'no-target' ? 'no other voter' : `${String(to)} is not a voter`}`));
    }
    if (r.to === this.id) return Promise.resolve(this.id);
    this.scheduleReady();
    return new Promise<NodeId>((resolve, reject) => {
      const onLeader = (id: NodeId | null) => {
        if (id === null || id === this.id) return;
        done();
        resolve(id);
      };
      const timer = this.o.clock.setTimeout(() => {
        done();
        reject(new TimeoutError('Leadership transfer did not complete within an election timeout', { definite: true }));
      }, this.o.electionTimeoutMs + 2 * this.o.tickIntervalMs);
      const done = () => {
        this.o.clock.clearTimeout(timer);
        this.off('leaderChange', onLeader);
      };
      this.on('leaderChange', onLeader);
    });
  }

  /** The configuration in force on this node (its entry applied). */
  membership(): SnapshotConfig {
    return this.appliedConfig;
  }

  /** Start an election now instead of waiting for the timeout (tests, operators). */
  campaign(): void {
    if (this.lifecycle !== 'running' || this.core === null) return;
    this.core.campaign();
    this.scheduleReady();
  }

  /** Id, role, term, leader, commit/applied/last indexes, voters and, on the leader, each follower's progress. */
  status(): RaftStatus {
    const core = this.core;
    if (core === null) {
      return {
        id: this.o.id, role: 'follower', term: 0, vote: null, leaderId: null, commitIndex: 0, appliedIndex: 0,
        lastLogIndex: 0, voters: this.o.peers, outgoingVoters: [], learners: [], snapshotIndex: 0, progress: null, transferringTo: null, removed: false, epoch: 0, running: false,
      };
    }
    return { ...core.status(), appliedIndex: this.lastApplied, running: this.lifecycle === 'running' };
  }

  // ---- internals ------------------------------------------------------------

  /**
   * A request's deadline, from the time of the last tick: expiry is checked
   * on ticks anyway, and reading the clock per proposal is measurable.
   */
  private deadline(): number {
    return this.tickNow + this.o.requestTimeoutMs + this.o.tickIntervalMs;
  }

  private addressOf(id: NodeId | null): string | null {
    if (id === null) return null;
    return this.o.addresses[id] ?? this.o.transport.addressOf?.(id) ?? null;
  }

  private armTick(): void {
    this.tickTimer = this.o.clock.setTimeout(() => this.onTick(), this.o.tickIntervalMs);
  }

  private onTick(): void {
    if (this.lifecycle !== 'running' || this.core === null) return;
    this.syncTicks();
    const now = this.tickNow;
    this.proposals.expire(now);
    this.reads.expire(now);
    this.configWaiters.expire(now);
    this.checkCatchUps();
    this.scheduleReady();
    this.armTick();
  }

  /**
   * Give the core one tick per tick interval that passed on the clock. After
   * a pause (GC, SIGSTOP, a suspended VM) the timer fires once, but the time
   * passed counts: a leader's lease and CheckQuorum must see it.
   */
  private syncTicks(): void {
    const core = this.core!;
    const now = this.o.clock.now();
    const interval = this.o.tickIntervalMs;
    // Bounded: a long pause needs no more ticks than it takes every timeout to expire.
    const due = Math.min(Math.floor((now - this.lastTickAt) / interval), 4 * this.o.electionTicks);
    for (let i = 0; i < due; i++) core.tick();
    if (due > 0) this.lastTickAt = now - ((now - this.lastTickAt) % interval);
    if (now - this.lastTickAt > 4 * this.o.electionTicks * interval) this.lastTickAt = now;
    this.tickNow = now;
  }

  private onMessage(m: Parameters<RaftCore['step']>[0]): void {
    if (this.lifecycle !== 'running' || this.core === null) return;
    this.core.step(m);
    this.scheduleReady();
  }

  /**
   * Process the core's output soon: at once (a microtask) when no write is
   * in flight. While one is, a clock turn's worth of proposals and messages
   * is gathered into one Ready (one append per follower, one write) instead
   * of one Ready per arrival, which under load cost more CPU than it saved
   * latency; the write completing runs it at once ({@link readyNow}).
   */
  private scheduleReady(): void {
    if (this.readyScheduled || this.readyRunning) return;
    this.readyScheduled = true;
    if (this.persist?.idle === false) {
      this.readyTimer = this.o.clock.setTimeout(() => {
        this.readyTimer = null;
        void this.runReady();
      }, 0);
    } else queueMicrotask(() => void this.runReady());
  }

  /** A write completed: a Ready deferred behind it runs now. */
  private readyNow(): void {
    if (this.readyTimer !== null) {
      this.o.clock.clearTimeout(this.readyTimer);
      this.readyTimer = null;
      this.readyScheduled = false;
    }
    this.scheduleReady();
  }

  private async runReady(): Promise<void> {
    this.readyScheduled = false;
    const core = this.core;
    if (this.readyRunning || core === null) return;
    this.readyRunning = true;
    let more = false;
    try {
      while (this.lifecycle === 'running' && core.hasReady()) {
        const rd = core.ready();
        await this.handleReady(rd);
        if (this.lifecycle !== 'running') return;
        core.advance(rd);
        // A write is in flight now: what comes next waits for it or for the next clock turn.
        if (!this.persist!.idle) {
          more = core.hasReady();
          break;
        }
      }
    } catch (e) {
      this.failStop(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.readyRunning = false;
    }
    if (more) this.scheduleReady();
  }

  /**
   * One Ready, in the order that keeps the persistence rule. Its write joins
   * the persistence pipeline without waiting: the next Ready may be taken
   * (and its proposals replicated) while this one is written; its
   * acknowledgements and votes leave once it is durable. Committed entries
   * are handed out only once durable here, so they apply at once.
   */
  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState !== null) this.onSoftState(rd.softState);
    // Leader replication may go out while its own disk write is in flight (§10.2.1).
    if (rd.messages.length > 0) this.o.transport.send(rd.messages);
    if (rd.snapshot !== null) {
      // A leader's snapshot replaces the log: no write may be in flight meanwhile (the storage contract).
      await this.persist!.whenIdle();
      if (this.lifecycle !== 'running') return;
      await this.installSnapshot(rd.snapshot);
      if (this.lifecycle !== 'running') return;
    }
    this.persist!.push(rd.hardState, rd.entries, rd.messagesAfterPersist);
    for (const rs of rd.readStates) this.reads.indexKnown(rs.ctx, rs.index, this.lastApplied);
    if (rd.committedEntries.length > 0) await this.applyEntries(rd.committedEntries);
  }

  /** The pipeline that writes this node's Readies, one write in flight, the rest merged into the next. */
  private persistPipeline(saved: HardState): PersistPipeline {
    return new PersistPipeline(
      {
        save: (update, done, fail) =>
          void this.o.storage.save(update).then(done, fail).catch((e: unknown) => this.failStop(e instanceof Error ? e : new Error(String(e)))),
        durable: (after, last) => {
          if (this.lifecycle !== 'running' || this.core === null) return;
          // Votes and acknowledgements only once what they promise is durable.
          if (after.length > 0) this.o.transport.send(after);
          if (last !== null) this.core.persisted(last.index, last.term);
          this.readyNow();
        },
        failed: (e) => this.failStop(new StorageFailureError('Storage save failed; stopping (a failed write is never retried)', e)),
      },
      saved,
    );
  }

  /** A snapshot from the leader: durable first, then the state machine, then the core adopts it. */
  private async installSnapshot(snap: ReadySnapshot): Promise<void> {
    try {
      await this.o.storage.saveSnapshot(
        { meta: { index: snap.index, term: snap.term, config: snap.config }, data: snap.data },
        { compactTo: snap.index, discardLog: snap.discardLog },
      );
    } catch (e) {
      throw new StorageFailureError('Saving a received snapshot failed; stopping', e);
    }
    if (this.lifecycle !== 'running') return;
    await this.o.stateMachine.restore(snap.data);
    this.lastApplied = snap.index;
    this.appliedTerm = snap.term;
    this.snapshotter.reset(snap.index);
    this.configApplied(snap.index, snap.term, snap.config);
  }

  private configApplied(index: number, term: number, cfg: SnapshotConfig): void {
    this.appliedConfig = cfg;
    this.configWaiters.applied(index, term, cfg);
    this.o.transport.updatePeers?.(cfg.addresses);
    this.emit('membershipChange', cfg);
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const sm = this.o.stateMachine;
    const dropped = (): Error => new ProposalDroppedError('Another entry was committed at this index; the proposal was not applied');
    let bytes = 0;
    for (const e of entries) {
      if (e.index <= this.lastApplied) continue;
      let result: R | undefined;
      if (e.type === EntryType.Normal) {
        const r = sm.apply(e.data, { index: e.index, term: e.term });
        result = isPromiseLike(r) ? await r : r;
        if (this.lifecycle !== 'running') return;
        bytes += e.data.byteLength;
      } else if (e.type === EntryType.Config) {
        const cfg = decodeConfig(e.data);
        if (cfg !== null) this.configApplied(e.index, e.term, toStored(cfg));
      }
      this.lastApplied = e.index;
      this.appliedTerm = e.term;
      this.proposals.settle(e, this.origin, result as R, dropped);
    }
    this.reads.applied(this.lastApplied);
    this.emit('applied', this.lastApplied);
    if (this.snapshotter.applied(this.lastApplied, bytes)) this.startSnapshot();
  }

  /** Snapshot in the background; the node keeps working while it is written. */
  private startSnapshot(): void {
    const at: AppliedPoint = { index: this.lastApplied, term: this.appliedTerm, config: this.appliedConfig };
    this.snapshotter.take(at, () => (this.lifecycle === 'running' ? this.core : null)).then(
      () => this.scheduleReady(),
      (e: unknown) => this.failStop(new StorageFailureError('Taking a snapshot failed; stopping', e)),
    );
  }

  /** Snapshot the state machine now (at the applied index), whatever the thresholds. */
  async snapshotNow(): Promise<void> {
    if (this.lifecycle !== 'running') throw new StoppedError('The node is not running', { definite: true });
    await this.snapshotter.take({ index: this.lastApplied, term: this.appliedTerm, config: this.appliedConfig }, () => this.core);
    this.scheduleReady();
  }

  private onSoftState(s: SoftState): void {
    const prev = this.soft;
    this.soft = s;
    if (s.role !== prev.role) {
      if (prev.role === 'leader') {
        this.proposals.failAbove(this.core!.status().commitIndex, () => new LeadershipLostError());
        this.catchUps.failAll(() => new NotLeaderError(s.leaderId, this.addressOf(s.leaderId)));
      }
      this.emit('roleChange', s.role, s.term);
    }
    if (s.leaderId !== prev.leaderId) {
      this.proposals.failForwarded(() => new LeadershipLostError('The leader changed before the forwarded proposal applied; it may still be applied'));
      this.reissueReads();
      this.emit('leaderChange', s.leaderId, s.term);
    }
  }

  /**
   * Reads waiting for an index are asked again of a new leader (a read has
   * no effect, so retrying is safe); with no leader known they fail fast
   * with `NotLeaderError`, as a new read would.
   */
  private reissueReads(): void {
    const core = this.core!;
    const leader = core.currentLeader;
    for (const ctx of this.reads.unresolved()) {
      if (leader === null) this.reads.fail(ctx, new NotLeaderError(null));
      else core.readIndex(ctx);
    }
  }

  private failStop(err: Error): void {
    if (this.lifecycle === 'stopped') return;
    this.emit('error', err);
    void this.stop();
  }
}

function isPromiseLike<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
