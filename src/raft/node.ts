/**
 * `RaftNode`, the driver: owns the timers, the storage and transport
 * adapters and the apply loop around the pure {@link RaftCore}, and turns
 * proposals and reads into Promises that always settle.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { TimerHandle } from '../clock.js';
import {
  InvalidInputError,
  LeadershipLostError,
  NotLeaderError,
  ProposalDroppedError,
  StorageFailureError,
  StoppedError,
  TimeoutError,
} from '../errors.js';
import { RaftCore, type CoreStatus } from './core/raft.js';
import { EntryType, type Entry, type NodeId, type Ready, type Role, type SoftState } from './core/types.js';
import { resolveNodeOptions, type RaftNodeOptions, type ResolvedNodeOptions } from './options.js';
import { PendingProposals, PendingReads, type Waiter } from './pending.js';
import type { StateMachine } from './state-machine.js';

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
  private proposalQueue: { data: Uint8Array; w: Waiter<R> }[] = [];
  private readonly proposals = new PendingProposals<R>();
  private readonly reads = new PendingReads();
  private readCtx = 0;
  private seq: number;
  private readonly origin: string;
  private lastApplied = 0;
  private soft: SoftState = { role: 'follower', leaderId: null, term: 0 };

  constructor(options: RaftNodeOptions<R>) {
    super();
    this.o = resolveNodeOptions(options);
    // Forwarded proposals are matched by (origin, seq); a random start keeps a restarted node's numbers apart.
    this.origin = this.o.id;
    this.seq = this.o.prng.int(2 ** 31) * 2 ** 20;
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
      hardState: persisted.hardState,
      entries: persisted.entries,
      ...(persisted.snapshot ? { snapshot: { index: persisted.snapshot.meta.index, term: persisted.snapshot.meta.term } } : {}),
    });
    this.lastApplied = persisted.snapshot?.meta.index ?? 0;
    this.soft = { role: 'follower', leaderId: null, term: persisted.hardState.term };
    await this.o.transport.start((m) => this.onMessage(m));
    if (this.lifecycle !== 'starting') return;
    this.lifecycle = 'running';
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
    const stopped = () => new StoppedError();
    for (const p of this.proposalQueue) p.w.reject(stopped());
    this.proposalQueue = [];
    this.proposals.failAll(stopped);
    this.reads.failAll(() => new StoppedError('The node is stopped', { definite: true }));
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
      this.proposalQueue.push({ data: command, w: { resolve, reject, deadline: this.o.clock.now() + this.o.requestTimeoutMs } });
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
   * asked for the read index). Rejects with `NotLeaderError` if no leader is known.
   */
  read(): Promise<void> {
    const core = this.core;
    if (this.lifecycle !== 'running' || core === null) return Promise.reject(new StoppedError('The node is not running', { definite: true }));
    return new Promise<void>((resolve, reject) => {
      const ctx = ++this.readCtx;
      this.reads.add(ctx, { resolve, reject, deadline: this.o.clock.now() + this.o.requestTimeoutMs });
      const r = core.readIndex(ctx);
      if (!r.ok) this.reads.fail(ctx, new NotLeaderError(r.leaderId, this.addressOf(r.leaderId)));
      this.scheduleReady();
    });
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
        lastLogIndex: 0, voters: this.o.peers, outgoingVoters: [], learners: [], snapshotIndex: 0, progress: null, transferringTo: null, running: false,
      };
    }
    return { ...core.status(), appliedIndex: this.lastApplied, running: this.lifecycle === 'running' };
  }

  // ---- internals ------------------------------------------------------------

  private addressOf(id: NodeId | null): string | null {
    if (id === null) return null;
    return this.o.addresses[id] ?? this.o.transport.addressOf?.(id) ?? null;
  }

  private armTick(): void {
    this.tickTimer = this.o.clock.setTimeout(() => this.onTick(), this.o.tickIntervalMs);
  }

  private onTick(): void {
    if (this.lifecycle !== 'running' || this.core === null) return;
    this.core.tick();
    const now = this.o.clock.now();
    this.proposals.expire(now);
    this.reads.expire(now);
    this.scheduleReady();
    this.armTick();
  }

  private onMessage(m: Parameters<RaftCore['step']>[0]): void {
    if (this.lifecycle !== 'running' || this.core === null) return;
    this.core.step(m);
    this.scheduleReady();
  }

  private scheduleReady(): void {
    if (this.readyScheduled || this.readyRunning) return;
    this.readyScheduled = true;
    queueMicrotask(() => void this.runReady());
  }

  private async runReady(): Promise<void> {
    this.readyScheduled = false;
    const core = this.core;
    if (this.readyRunning || core === null) return;
    this.readyRunning = true;
    try {
      while (this.lifecycle === 'running' && core.hasReady()) {
        const rd = core.ready();
        await this.handleReady(rd);
        if (this.lifecycle !== 'running') return;
        core.advance(rd);
      }
    } catch (e) {
      this.failStop(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.readyRunning = false;
    }
  }

  /** One Ready, in the order that keeps the persistence rule. */
  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState !== null) this.onSoftState(rd.softState);
    // Leader replication may go out while its own disk write is in flight (§10.2.1).
    if (rd.messages.length > 0) this.o.transport.send(rd.messages);
    if (rd.hardState !== null || rd.entries.length > 0) {
      try {
        await this.o.storage.save({ hardState: rd.hardState, entries: rd.entries });
      } catch (e) {
        throw new StorageFailureError('Storage save failed; stopping (a failed write is never retried)', e);
      }
      if (this.lifecycle !== 'running') return;
    }
    // Votes and acknowledgements only once what they promise is durable.
    if (rd.messagesAfterPersist.length > 0) this.o.transport.send(rd.messagesAfterPersist);
    for (const rs of rd.readStates) this.reads.indexKnown(rs.ctx, rs.index, this.lastApplied);
    if (rd.committedEntries.length > 0) await this.applyEntries(rd.committedEntries);
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const sm = this.o.stateMachine;
    for (const e of entries) {
      if (e.index <= this.lastApplied) continue;
      let result: R | undefined;
      if (e.type === EntryType.Normal) {
        const r = sm.apply(e.data, { index: e.index, term: e.term });
        result = isPromiseLike(r) ? await r : r;
        if (this.lifecycle !== 'running') return;
      }
      this.lastApplied = e.index;
      const p = this.proposals.takeFor(e, this.origin);
      if (p !== undefined) {
        if (p.ours) p.w.resolve(result as R);
        else p.w.reject(new ProposalDroppedError('Another entry was committed at this index; the proposal was not applied'));
      }
    }
    this.reads.applied(this.lastApplied);
    this.emit('applied', this.lastApplied);
  }

  private onSoftState(s: SoftState): void {
    const prev = this.soft;
    this.soft = s;
    if (s.role !== prev.role) {
      if (prev.role === 'leader') this.proposals.failAbove(this.core!.status().commitIndex, () => new LeadershipLostError());
      this.emit('roleChange', s.role, s.term);
    }
    if (s.leaderId !== prev.leaderId) {
      this.proposals.failForwarded(() => new LeadershipLostError('The leader changed before the forwarded proposal applied; it may still be applied'));
      this.reissueReads();
      this.emit('leaderChange', s.leaderId, s.term);
    }
  }

  /** Reads waiting for an index are asked again of the new leader (a read has no effect, so retrying is safe). */
  private reissueReads(): void {
    const core = this.core!;
    if (core.currentLeader === null) return;
    for (const ctx of this.reads.unresolved()) core.readIndex(ctx);
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
