/**
 * The pure Raft core: a synchronous, deterministic state machine in the
 * style of etcd-raft. Inputs are `step(msg)`, `tick()`, `propose()` and
 * `readIndex()`; the output is a {@link Ready} batch taken with `ready()`
 * and acknowledged with `advance()`. No timers, no I/O, no Promises: time
 * comes in as ticks and randomness from an injected PRNG, so one seed
 * replays one history exactly.
 * @module
 */
import type { Prng } from '../../util/prng.js';
import { decodeConfig, encodeConfig, fromStored, initialConfig, toStored, type FullConfig, type MembershipChange } from './confchange.js';
import { resolveCoreOptions, type RaftCoreOptions, type ResolvedCoreOptions } from './config.js';
import { campaign, handleVoteRequest, stepCandidate } from './election.js';
import { stepFollower } from './follower.js';
import { bcastAppend, bcastHeartbeat, maybeCommit, stepLeader } from './leader.js';
import { RaftLog } from './log.js';
import { applyConfigEntry, proposeChange, setConfig, type ChangeOptions, type ChangeResult } from './membership.js';
import { ReadIndexTracker, type ReadRequest } from './read-index.js';
import { finishInstall, tickSnapshots, type IncomingSnapshot, type SnapshotSource } from './snapshot.js';
import { ProgressTracker } from './tracker.js';
import { startTransfer, tickTransfer, type TransferResult } from './transfer.js';
import {
  EntryType,
  MsgType,
  type Entry,
  type EntryTypeValue,
  type HardState,
  type Message,
  type NodeId,
  type ProposeResult,
  type Ready,
  type ReadState,
  type ReadySnapshot,
  type Role,
  type SnapshotConfig,
  type SoftState,
} from './types.js';

/** A proposal handed to {@link RaftCore.propose}. */
export interface ProposalInput {
  /** The command. */
  readonly data: Uint8Array;
  /** Entry type. @default EntryType.Normal */
  readonly type?: EntryTypeValue;
  /** For forwarded proposals: the proposing node's namespace. */
  readonly origin?: string;
  /** For forwarded proposals: the sequence number within `origin`. */
  readonly seq?: number;
}

/** A snapshot of the core's state, for status pages and tests. */
export interface CoreStatus {
  /** This node's id. */
  readonly id: NodeId;
  /** Current role. */
  readonly role: Role;
  /** Current term. */
  readonly term: number;
  /** Vote cast in the current term, or null. */
  readonly vote: NodeId | null;
  /** Known leader, or null. */
  readonly leaderId: NodeId | null;
  /** Highest index known committed. */
  readonly commitIndex: number;
  /** Highest index applied to the state machine. */
  readonly appliedIndex: number;
  /** Index of the last log entry. */
  readonly lastLogIndex: number;
  /** Voters in force (the incoming ones during a joint configuration). */
  readonly voters: readonly NodeId[];
  /** While a voter change is in progress (joint configuration): the old voters. */
  readonly outgoingVoters: readonly NodeId[];
  /** Learners (non-voting members) in force. */
  readonly learners: readonly NodeId[];
  /** Index of the latest snapshot. */
  readonly snapshotIndex: number;
  /** On the leader: each member's replication progress (`recentActive`: heard from within the last election timeout). */
  readonly progress: Readonly<Record<NodeId, MemberProgress>> | null;
  /** On the leader: the target of a leadership transfer in progress. */
  readonly transferringTo: NodeId | null;
  /** This node was removed from the cluster (it applied the configuration that removed it). */
  readonly removed: boolean;
  /** The cluster epoch (raised by `forceNewCluster`). */
  readonly epoch: number;
}

/** Counters of what the core saw; useful to tests and to the simulator's coverage checks. */
export interface CoreCounters {
  /** PreVote requests this node refused. */
  preVoteRejections: number;
  /** Times this node's log had a suffix replaced. */
  logTruncations: number;
  /** Reads that waited for the leader's first commit in its term. */
  readIndexWaits: number;
  /** Messages dropped because they broke the protocol (never thrown). */
  protocolViolations: number;
  /** Configuration entries applied. */
  configChanges: number;
  /** Snapshot transfers started (leader). */
  snapshotsSent: number;
  /** Snapshot transfers aborted (leader). */
  snapshotsAborted: number;
  /** Snapshots installed from a leader. */
  snapshotsInstalled: number;
  /** Leadership transfers abandoned after an election timeout. */
  transfersAborted: number;
  /** Reads served from the lease. */
  leaseReads: number;
}

/** The leader's view of one member's replication. */
export interface MemberProgress {
  /** Highest index known to match the leader's log. */
  readonly match: number;
  /** Next index to send. */
  readonly next: number;
  /** `probe`, `replicate` or `snapshot`. */
  readonly state: string;
  /** Heard from within the last two CheckQuorum rounds. */
  readonly recentActive: boolean;
}

/** Outcome of {@link RaftCore.readIndex}. */
export type ReadIndexResult =
  | {
      /** The request is on its way; a read state will follow. */
      readonly ok: true;
    }
  | {
      /** No leader to ask. */
      readonly ok: false;
      /** The known leader, or null. */
      readonly leaderId: NodeId | null;
    };

/**
 * The Raft protocol as a pure state machine.
 *
 * @example
 * ```ts
 * const core = new RaftCore({ id: 'a', voters: ['a'], prng: createPrng(1) });
 * core.campaign();
 * const rd = core.ready(); // persist rd.entries, send rd.messages, apply rd.committedEntries
 * core.advance(rd);
 * ```
 */
export class RaftCore {
  /** @internal */ readonly opts: ResolvedCoreOptions;
  /** @internal */ readonly id: NodeId;
  /** @internal */ term = 0;
  /** @internal */ vote: NodeId | null = null;
  /** @internal */ role: Role = 'follower';
  /** @internal */ leaderId: NodeId | null = null;
  /** @internal */ readonly log: RaftLog;
  /** @internal */ readonly tracker: ProgressTracker;
  /** @internal */ electionElapsed = 0;
  /** @internal */ heartbeatElapsed = 0;
  /** @internal */ randomizedElectionTimeout = 0;
  /** @internal */ msgs: Message[] = [];
  /** @internal */ msgsAfterPersist: Message[] = [];
  /** @internal */ readStates: ReadState[] = [];
  /** @internal */ readonly reads = new ReadIndexTracker();
  /** @internal Reads waiting for the leader's first commit in its term. */ pendingReads: ReadRequest[] = [];
  /** @internal */ uncommittedBytes = 0;
  /** @internal New entries to send to followers at the next flush. */ appendsDirty = false;
  /** @internal The commit index moved: tell followers even with no new entries. */ commitDirty = false;
  /** @internal The configuration in force (its entry committed). */ config: FullConfig;
  /** @internal Leader: index of the last configuration entry appended. */ pendingConfIndex = 0;
  /** @internal Leader: the target of a leadership transfer, or null. */ leadTransferee: NodeId | null = null;
  /** @internal */ transferElapsed = 0;
  /** @internal A TimeoutNow went out this term: no more lease reads. */ timeoutNowSent = false;
  /** @internal The highest epoch heard from an accepted message (before the config that carries it applies). */ seenEpoch = 0;
  /** @internal Ticks since start (for snapshot chunk timeouts). */ ticks = 0;
  /** @internal The latest snapshot, served to lagging followers. */ snapshotSource: SnapshotSource | null = null;
  /** @internal Follower: a snapshot being received. */ incoming: IncomingSnapshot | null = null;
  /** @internal Follower: a received snapshot waiting for the driver to install. */ pendingInstall: ReadySnapshot | null = null;
  /** @internal Who sent the snapshot being installed. */ installFrom: NodeId | null = null;
  /** Counters for tests and coverage. */
  readonly counters: CoreCounters = {
    preVoteRejections: 0, logTruncations: 0, readIndexWaits: 0, protocolViolations: 0, configChanges: 0,
    snapshotsSent: 0, snapshotsAborted: 0, snapshotsInstalled: 0, transfersAborted: 0, leaseReads: 0,
  };
  private readonly rng: Prng;
  private prevHard: HardState;
  private prevSoft: SoftState;

  constructor(options: RaftCoreOptions) {
    this.opts = resolveCoreOptions(options);
    this.id = this.opts.id;
    this.rng = this.opts.prng;
    const snap = this.opts.snapshot ?? { index: 0, term: 0 };
    const hs = this.opts.hardState ?? { term: 0, vote: null, commit: 0 };
    this.log = new RaftLog(snap.index, snap.term, this.opts.entries ?? [], hs.commit);
    this.term = hs.term;
    this.vote = hs.vote;
    this.config = snap.config !== undefined ? fromStored(snap.config) : initialConfig(this.opts.voters, this.opts.learners);
    this.tracker = new ProgressTracker(this.config, this.opts.maxInflightMsgs, this.opts.maxInflightBytes);
    if (snap.config !== undefined && snap.data !== undefined) this.snapshotSource = { index: snap.index, term: snap.term, config: snap.config, data: snap.data };
    // The configuration in force is the latest one committed: replay committed config entries.
    for (const e of this.log.slice(snap.index + 1, this.log.committed + 1)) {
      if (e.type === EntryType.Config) {
        const c = decodeConfig(e.data);
        if (c !== null) setConfig(this, c);
      }
    }
    this.prevHard = { term: this.term, vote: this.vote, commit: this.log.committed };
    this.becomeFollower(this.term, null);
    this.prevSoft = this.softState();
  }

  // ---- inputs -------------------------------------------------------------

  /** Advance logical time by one tick. */
  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      campaign(this, 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    tickTransfer(this);
    tickSnapshots(this);
    if (this.electionElapsed >= this.opts.electionTicks) {
      this.electionElapsed = 0;
      if (this.opts.checkQuorum && !this.checkQuorumActive()) {
        this.becomeFollower(this.term, null);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this);
    }
  }

  /** CheckQuorum: was a quorum heard from since the last check? Resets the marks. */
  private checkQuorumActive(): boolean {
    const ok = this.tracker.quorumActive(this.id);
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue;
      pr.activeBefore = pr.recentActive;
      pr.recentActive = false;
    }
    return ok;
  }

  /** Start an election now (as if the election timeout elapsed). */
  campaign(): void {
    if (this.role !== 'leader') campaign(this, 'election');
  }

  /** Feed a message received from a peer. Messages for another node, or from an older epoch, are ignored. */
  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    const epoch = m.epoch ?? 0;
    if (epoch < this.epoch()) return;
    // A node that has not learned its configuration yet (joining) adopts the epoch it is spoken to in.
    if (epoch > this.epoch()) this.seenEpoch = epoch;
    if (m.term > this.term) {
      if (!this.acceptHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.answerStaleTerm(m);
      return;
    }
    if (m.type === MsgType.Vote || m.type === MsgType.PreVote) {
      if (this.tracker.isVoter(m.from)) handleVoteRequest(this, m);
      return;
    }
    switch (this.role) {
      case 'leader':
        stepLeader(this, m);
        break;
      case 'candidate':
      case 'precandidate':
        stepCandidate(this, m);
        break;
      case 'follower':
        stepFollower(this, m);
        break;
    }
  }

  /** A message with a higher term: maybe ignore it, maybe adopt the term. Returns whether to go on. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === MsgType.Vote || m.type === MsgType.PreVote) {
      // A node that is not a voter here (removed, or not yet added) cannot disrupt us with elections.
      if (!this.tracker.isVoter(m.from)) return false;
      // Leader lease: a follower that heard from a live leader recently ignores elections (§4.2.3).
      const inLease = this.opts.checkQuorum && this.leaderId !== null && this.electionElapsed < this.opts.electionTicks;
      if (!m.force && inLease) return false;
    }
    if (m.type === MsgType.PreVote) return true;
    if (m.type === MsgType.PreVoteResp && !m.reject) return true;
    const leader = m.type === MsgType.App || m.type === MsgType.Heartbeat || m.type === MsgType.Snapshot ? m.from : null;
    this.becomeFollower(m.term, leader);
    return true;
  }

  /** A message from an older term: tell a stale leader or pre-candidate about our term, drop the rest. */
  private answerStaleTerm(m: Message): void {
    if ((this.opts.checkQuorum || this.opts.preVote) && (m.type === MsgType.App || m.type === MsgType.Heartbeat)) {
      this.sendAfterPersist({ type: MsgType.AppResp, term: this.term, from: this.id, to: m.from, index: 0, reject: false, hintIndex: 0, hintTerm: 0 });
    } else if (m.type === MsgType.PreVote) {
      this.sendAfterPersist({ type: MsgType.PreVoteResp, term: this.term, from: this.id, to: m.from, reject: true });
    }
  }

  /**
   * Propose entries. On the leader they are appended and replicated at the
   * next `ready()`; a follower forwards them to the leader if allowed.
   */
  propose(proposals: readonly ProposalInput[]): ProposeResult {
    if (this.role !== 'leader') return this.forwardProposals(proposals);
    if (this.leadTransferee !== null) return { ok: false, reason: 'transferring', leaderId: this.id };
    let bytes = 0;
    for (const p of proposals) bytes += p.data.byteLength;
    // Always admit something when nothing is outstanding, so one large entry cannot wedge the leader.
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.opts.maxUncommittedBytes) {
      return { ok: false, reason: 'too-many-uncommitted-bytes', leaderId: this.id };
    }
    const first = this.log.lastIndex() + 1;
    const entries: Entry[] = [];
    for (let i = 0; i < proposals.length; i++) entries.push(this.makeEntry(first + i, proposals[i]!));
    this.appendEntries(entries);
    return { ok: true, forwarded: false, index: first, term: this.term };
  }

  private makeEntry(index: number, p: ProposalInput): Entry {
    const e: { term: number; index: number; type: EntryTypeValue; data: Uint8Array; origin?: string; seq?: number } = {
      term: this.term,
      index,
      type: p.type ?? EntryType.Normal,
      data: p.data,
    };
    if (p.origin !== undefined && p.seq !== undefined) {
      e.origin = p.origin;
      e.seq = p.seq;
    }
    return e;
  }

  private forwardProposals(proposals: readonly ProposalInput[]): ProposeResult {
    if (this.role !== 'follower' || this.leaderId === null || !this.opts.forwardProposals) {
      return { ok: false, reason: 'not-leader', leaderId: this.leaderId };
    }
    const entries = proposals.map((p) => this.makeEntry(0, p));
    this.send({ type: MsgType.Prop, term: this.term, from: this.id, to: this.leaderId, entries });
    return { ok: true, forwarded: true };
  }

  /**
   * Ask for a linearizable read point. A {@link ReadState} with this `ctx`
   * appears in a later Ready once it is safe; on a follower the request goes
   * to the leader.
   */
  readIndex(ctx: number): ReadIndexResult {
    if (this.role === 'leader') {
      this.handleReadRequest({ from: this.id, ctx });
      return { ok: true };
    }
    if (this.role === 'follower' && this.leaderId !== null) {
      this.send({ type: MsgType.ReadIndex, term: this.term, from: this.id, to: this.leaderId, ctx });
      return { ok: true };
    }
    return { ok: false, leaderId: this.leaderId };
  }

  /** @internal Leader: serve or queue a read request from this node or a follower. */
  handleReadRequest(req: ReadRequest): void {
    // §6.4: the leader must have committed an entry of its term to know the latest commit index.
    if (this.log.term(this.log.committed) !== this.term) {
      this.counters.readIndexWaits++;
      this.pendingReads.push(req);
      return;
    }
    if (this.tracker.voters().size === 1 && this.tracker.isVoter(this.id)) {
      this.releaseRead(req, this.log.committed);
      return;
    }
    if (this.opts.readMode === 'lease' && this.leaseValid()) {
      this.counters.leaseReads++;
      this.releaseRead(req, this.log.committed);
      return;
    }
    this.reads.enqueue(req);
    if (this.reads.canStartRound()) bcastHeartbeat(this);
  }

  /** @internal The highest heartbeat sequence echoed by a quorum of voters (this node echoes its newest). */
  quorumSeq(ackedOf: (id: NodeId) => number): number {
    return this.tracker.quorumValue((id) => (id === this.id ? this.reads.current : ackedOf(id)));
  }

  /**
   * Lease: a quorum echoed a heartbeat sent at tick T, and those voters
   * ignore elections until T + election timeout, so until then (less the
   * allowed drift) no other leader can exist. Never after a TimeoutNow of
   * this term, which lets a voter ignore its lease.
   */
  private leaseValid(): boolean {
    if (this.timeoutNowSent || this.leadTransferee !== null) return false;
    const until = this.reads.leaseUntil((acked) => this.quorumSeq(acked), this.opts.electionTicks - this.opts.leaseDriftTicks);
    return this.ticks < until;
  }

  /** @internal Hand a confirmed read to its requester. */
  releaseRead(req: ReadRequest, index: number): void {
    if (req.from === this.id) this.readStates.push({ index, ctx: req.ctx });
    else this.send({ type: MsgType.ReadIndexResp, term: this.term, from: this.id, to: req.from, ctx: req.ctx, index });
  }

  // ---- role transitions -----------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.leaderId = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.opts.electionTicks + this.rng.int(this.opts.electionTicks);
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.log.lastIndex());
    this.reads.reset();
    this.pendingReads = [];
    this.uncommittedBytes = 0;
    this.appendsDirty = false;
    this.commitDirty = false;
    this.leadTransferee = null;
    this.transferElapsed = 0;
    this.timeoutNowSent = false;
    this.incoming = null;
  }

  /** @internal */
  becomeFollower(term: number, leaderId: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.leaderId = leaderId;
  }

  /** @internal */
  becomePreCandidate(): void {
    // PreVote does not touch term or vote: a partitioned node cannot disrupt the cluster.
    const term = this.term;
    const vote = this.vote;
    this.reset(term);
    this.vote = vote;
    this.role = 'precandidate';
  }

  /** @internal */
  becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  /** @internal */
  becomeLeader(): void {
    const voters = [...this.tracker.votes].filter(([, granted]) => granted).map(([id]) => id);
    this.reset(this.term);
    this.role = 'leader';
    this.leaderId = this.id;
    markVotersActive(this, voters);
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) {
      self.match = this.log.stable;
      self.becomeReplicate();
    }
    // No configuration change until everything before this term is committed.
    this.pendingConfIndex = this.log.lastIndex();
    // §5.4.2: commit a blank entry of this term; older entries commit with it.
    this.appendEntries([{ term: this.term, index: this.log.lastIndex() + 1, type: EntryType.Noop, data: new Uint8Array(0) }]);
  }

  /** @internal Leader: append to the own log; followers get it at the next flush. */
  appendEntries(entries: readonly Entry[]): void {
    this.log.append(entries);
    for (const e of entries) this.uncommittedBytes += e.data.byteLength;
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) self.next = this.log.lastIndex() + 1;
    this.appendsDirty = true;
  }

  /** @internal Whether this node may become leader (it is a voter). */
  promotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  /** @internal Advance the commit index; configuration entries take effect as they commit. */
  commitTo(index: number): void {
    const prev = this.log.committed;
    this.log.commitTo(index);
    for (let i = prev + 1; i <= this.log.committed; i++) {
      const e = this.log.entry(i);
      if (e !== undefined && e.type === EntryType.Config) applyConfigEntry(this, e);
    }
  }

  /**
   * Leader: propose a membership change. Voter changes go through a joint
   * configuration that is left automatically; one change at a time.
   */
  changeMembership(change: MembershipChange, options: ChangeOptions = {}): ChangeResult {
    return proposeChange(this, change, options);
  }

  /** Leader: hand leadership to `to`, or to the most caught-up voter. */
  transferLeadership(to?: NodeId): TransferResult {
    return startTransfer(this, to);
  }

  /**
   * The driver saved a snapshot of the state machine at `index` (its term and
   * the configuration in force there): followers that lag behind the log
   * will be sent it.
   */
  setSnapshot(index: number, term: number, config: SnapshotConfig, data: Uint8Array): void {
    if (index <= (this.snapshotSource?.index ?? 0) || index > this.log.committed) return;
    this.log.setSnapshotPoint(index, term);
    this.snapshotSource = { index, term, config, data };
  }

  /**
   * Drop log entries up to `upTo` from memory. Never past the snapshot, and
   * never past what a follower receiving a snapshot will need next.
   */
  compact(upTo: number): void {
    let limit = upTo;
    for (const pr of this.tracker.progress.values()) if (pr.state === 'snapshot') limit = Math.min(limit, pr.pendingSnapshot);
    this.log.compact(limit);
  }

  /** The configuration in force, in stored form. */
  configuration(): SnapshotConfig {
    return toStored(this.config);
  }

  // ---- output ---------------------------------------------------------------

  /** @internal Queue a message that may leave at once. */
  send(m: Message): void {
    this.msgs.push(this.stamp(m));
  }

  /** @internal Queue a message that must wait until this Ready's state is durable. */
  sendAfterPersist(m: Message): void {
    this.msgsAfterPersist.push(this.stamp(m));
  }

  private stamp(m: Message): Message {
    const e = this.epoch();
    return e > 0 ? { ...m, epoch: e } : m;
  }

  /** @internal The cluster epoch this node speaks in. */
  epoch(): number {
    return Math.max(this.config.epoch, this.seenEpoch);
  }

  /**
   * Recovery from a lost quorum (like Swarm's `--force-new-cluster`): make
   * this node the only voter, keeping its whole log, which becomes
   * committed. The epoch goes up so members of the old configuration cannot
   * disturb the new cluster; every other old member is removed (they join
   * again as new nodes, with new ids). Call before anything else happens.
   */
  forceNewCluster(): void {
    const old = this.config;
    const removed = new Set(old.removed);
    for (const id of [...old.incoming, ...old.outgoing, ...old.learners]) if (id !== this.id) removed.add(id);
    const addresses: Record<NodeId, string> = {};
    if (old.addresses[this.id] !== undefined) addresses[this.id] = old.addresses[this.id]!;
    const cfg: FullConfig = { incoming: new Set([this.id]), outgoing: new Set(), learners: new Set(), removed, epoch: old.epoch + 1, addresses };
    const index = this.log.lastIndex() + 1;
    this.log.append([{ term: this.term, index, type: EntryType.Config, data: encodeConfig(cfg) }]);
    // No quorum of the old configuration exists to commit it: this node's word is the commit.
    this.log.commitTo(index);
    setConfig(this, cfg);
    this.becomeFollower(this.term, null);
  }

  private softState(): SoftState {
    return { role: this.role, leaderId: this.leaderId, term: this.term };
  }

  private hardStateChanged(): boolean {
    const p = this.prevHard;
    return p.term !== this.term || p.vote !== this.vote || p.commit !== this.log.committed;
  }

  private softStateChanged(): boolean {
    const p = this.prevSoft;
    return p.role !== this.role || p.leaderId !== this.leaderId || p.term !== this.term;
  }

  private flushAppends(): void {
    if (this.role === 'leader' && (this.appendsDirty || this.commitDirty)) {
      bcastAppend(this, this.commitDirty);
      this.appendsDirty = false;
      this.commitDirty = false;
    }
  }

  /** Whether `ready()` has anything to hand out. */
  hasReady(): boolean {
    return (
      this.msgs.length > 0 ||
      this.msgsAfterPersist.length > 0 ||
      this.readStates.length > 0 ||
      this.log.hasUnpersisted() ||
      this.log.hasNextCommitted(this.opts.asyncStorageWrites) ||
      this.hardStateChanged() ||
      this.softStateChanged() ||
      this.pendingInstall !== null ||
      (this.role === 'leader' && (this.appendsDirty || this.commitDirty))
    );
  }

  /**
   * Take everything pending. Without `asyncStorageWrites`, call `advance()`
   * with it before the next `ready()`; with it, the next may be taken while
   * this one's write is in flight (each Ready hands out only what earlier
   * ones did not).
   */
  ready(): Ready {
    this.flushAppends();
    const softState = this.softStateChanged() ? this.softState() : null;
    if (softState !== null) this.prevSoft = softState;
    const hardState = this.hardStateChanged() ? { term: this.term, vote: this.vote, commit: this.log.committed } : null;
    if (hardState !== null) this.prevHard = hardState;
    const rd: Ready = {
      softState,
      hardState,
      entries: this.log.takeUnpersisted(),
      committedEntries: this.log.takeCommitted(this.opts.asyncStorageWrites),
      messages: this.msgs,
      messagesAfterPersist: this.msgsAfterPersist,
      readStates: this.readStates,
      snapshot: this.pendingInstall,
    };
    this.pendingInstall = null;
    this.msgs = [];
    this.msgsAfterPersist = [];
    this.readStates = [];
    return rd;
  }

  /**
   * Acknowledge a Ready: its snapshot installed and its committed entries
   * applied, and (unless `asyncStorageWrites`, where {@link persisted} says
   * it) its entries and hard state durable.
   */
  advance(rd: Ready): void {
    if (rd.snapshot !== null) finishInstall(this, rd.snapshot);
    const lastNew = rd.entries[rd.entries.length - 1];
    if (lastNew !== undefined && !this.opts.asyncStorageWrites) this.persisted(lastNew.index, lastNew.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) {
      this.log.appliedTo(lastApplied.index);
      if (this.role === 'leader') {
        for (const e of rd.committedEntries) this.uncommittedBytes -= e.data.byteLength;
        if (this.uncommittedBytes < 0) this.uncommittedBytes = 0;
      }
    }
  }

  /**
   * Storage made the log durable up to (index, term): every write handed out
   * up to that entry resolved. A leader counts itself towards commit only
   * for what its own disk holds; an acknowledgement of entries replaced in
   * memory since (other term at that index) counts for nothing.
   */
  persisted(index: number, term: number): void {
    this.log.stableTo(index, term);
    if (this.role !== 'leader') return;
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined && self.maybeUpdate(this.log.stable)) maybeCommit(this);
  }

  // ---- inspection -----------------------------------------------------------

  /** The current state, for status pages and tests. */
  status(): CoreStatus {
    let progress: Record<NodeId, MemberProgress> | null = null;
    if (this.role === 'leader') {
      progress = {};
      for (const [id, pr] of this.tracker.progress) progress[id] = { match: pr.match, next: pr.next, state: pr.state, recentActive: id === this.id || pr.recentActive || pr.activeBefore };
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leaderId: this.leaderId,
      commitIndex: this.log.committed,
      appliedIndex: this.log.applied,
      lastLogIndex: this.log.lastIndex(),
      voters: [...this.config.incoming],
      outgoingVoters: [...this.config.outgoing],
      learners: [...this.config.learners],
      snapshotIndex: this.log.snapshotPoint().index,
      progress,
      transferringTo: this.leadTransferee,
      removed: this.config.removed.has(this.id),
      epoch: this.epoch(),
    };
  }

  /** The entries held in memory from `lo` (inclusive), for tests and the simulator's checks. */
  entries(lo = this.log.firstIndex()): Entry[] {
    return this.log.slice(lo, this.log.lastIndex() + 1);
  }

  /** Current role. */
  get currentRole(): Role {
    return this.role;
  }

  /** Current term. */
  get currentTerm(): number {
    return this.term;
  }

  /** Known leader, or null. */
  get currentLeader(): NodeId | null {
    return this.leaderId;
  }
}

/**
 * A granted vote is contact within this election, so the voters count as
 * heard from in the new leader's first CheckQuorum round (as
 * hashicorp/raft starts a follower's last contact at the leader's start).
 * Without it a leader must hear back from a quorum within its first
 * election timeout: when round trips approach that timeout (30% loss and
 * 100 ms delays against a 100 ms timeout, seed 500138 of the
 * lossy-network scenario) fresh leaders stepped down one after another for
 * 14 s without committing. A leader cut off right after winning still
 * steps down within two election timeouts of winning, as one whose
 * followers fall silent does in any later round.
 */
function markVotersActive(r: RaftCore, voters: readonly NodeId[]): void {
  for (const id of voters) {
    const pr = r.tracker.progress.get(id);
    if (pr !== undefined && id !== r.id) pr.recentActive = true;
  }
}
