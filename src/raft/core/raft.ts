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
import { checkQuorumActive, markVotersActive } from './check-quorum.js';
import { decodeConfig, fromStored, initialConfig, toStored, type FullConfig, type MembershipChange } from './confchange.js';
import { resolveCoreOptions, type RaftCoreOptions, type ResolvedCoreOptions } from './config.js';
import { campaign, handleVoteRequest, stepCandidate } from './election.js';
import { stepFollower } from './follower.js';
import { bcastHeartbeat, stepLeader } from './leader.js';
import { RaftLog } from './log.js';
import { applyConfigEntry, forceNewCluster, proposeChange, setConfig, type ChangeOptions, type ChangeResult } from './membership.js';
import { ReadIndexTracker, type ReadRequest } from './read-index.js';
import { readIndex } from './reads.js';
import { advanceReady, hasReady, persistedTo, softStateOf, takeReady } from './ready.js';
import { tickSnapshots, type IncomingSnapshot, type SnapshotSource } from './snapshot.js';
import { coreStatus, type CoreCounters, type CoreStatus, type ProposalInput, type ReadIndexResult } from './status.js';
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
  /** @internal The hard state last handed out. */ prevHard: HardState;
  /** @internal The soft state last handed out. */ prevSoft: SoftState;

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
    this.prevSoft = softStateOf(this);
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
      if (this.opts.checkQuorum && !checkQuorumActive(this)) {
        this.becomeFollower(this.term, null);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this);
    }
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
    return readIndex(this, ctx);
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
    forceNewCluster(this);
  }

  /** Whether `ready()` has anything to hand out. */
  hasReady(): boolean {
    return hasReady(this);
  }

  /**
   * Take everything pending. Without `asyncStorageWrites`, call `advance()`
   * with it before the next `ready()`; with it, the next may be taken while
   * this one's write is in flight (each Ready hands out only what earlier
   * ones did not).
   */
  ready(): Ready {
    return takeReady(this);
  }

  /**
   * Acknowledge a Ready: its snapshot installed and its committed entries
   * applied, and (unless `asyncStorageWrites`, where {@link persisted} says
   * it) its entries and hard state durable.
   */
  advance(rd: Ready): void {
    advanceReady(this, rd);
  }

  /**
   * Storage made the log durable up to (index, term): every write handed out
   * up to that entry resolved. A leader counts itself towards commit only
   * for what its own disk holds; an acknowledgement of entries replaced in
   * memory since (other term at that index) counts for nothing.
   */
  persisted(index: number, term: number): void {
    persistedTo(this, index, term);
  }

  // ---- inspection -----------------------------------------------------------

  /** The current state, for status pages and tests. */
  status(): CoreStatus {
    return coreStatus(this);
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
