/**
 * Data types of the Raft core: log entries, hard state, wire messages and
 * the Ready batch. Plain data only, so the codec can validate every field.
 * @module
 */

/** A node's id: a non-empty string, unique in the cluster and never reused. */
export type NodeId = string;

/** Kinds of log entry. Numeric tags are only ever appended. */
export const EntryType = {
  /** A user command for the state machine. */
  Normal: 0,
  /** A cluster configuration change. */
  Config: 1,
  /** The blank entry a new leader appends to commit an entry of its own term. */
  Noop: 2,
} as const;
/** One of {@link EntryType}'s values. */
export type EntryTypeValue = (typeof EntryType)[keyof typeof EntryType];

/** A log entry. */
export interface Entry {
  /** Term of the leader that created it. */
  readonly term: number;
  /** Position in the log, from 1. */
  readonly index: number;
  /** One of {@link EntryType}. */
  readonly type: EntryTypeValue;
  /** The command (opaque to Raft). */
  readonly data: Uint8Array;
  /** For a proposal forwarded by a follower: the forwarding node's proposal namespace. */
  readonly origin?: string;
  /** For a forwarded proposal: its sequence number within `origin`. */
  readonly seq?: number;
}

/** What must be durable before a node answers votes or appends. */
export interface HardState {
  /** Latest term this node has seen. */
  readonly term: number;
  /** The candidate voted for in `term`, or null. */
  readonly vote: NodeId | null;
  /** Highest index known committed (may lag; a hint for restart). */
  readonly commit: number;
}

/** A node's role. */
export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader';

/** Wire message tags. Numeric tags are only ever appended, never reused. */
export const MsgType = {
  Vote: 1,
  VoteResp: 2,
  PreVote: 3,
  PreVoteResp: 4,
  App: 5,
  AppResp: 6,
  Heartbeat: 7,
  HeartbeatResp: 8,
  Prop: 9,
  ReadIndex: 10,
  ReadIndexResp: 11,
  TimeoutNow: 12,
  Snapshot: 13,
  SnapshotResp: 14,
} as const;

interface Base {
  /** Sender's term (0 only for local messages, which never reach the wire). */
  readonly term: number;
  readonly from: NodeId;
  readonly to: NodeId;
  /**
   * The sender's cluster epoch, raised by a forced recovery
   * (`forceNewCluster`); absent means 0. Messages from an older epoch are ignored.
   */
  readonly epoch?: number;
}

/** RequestVote, or a PreVote probe (term is the term the candidate would campaign in). */
export interface VoteMsg extends Base {
  readonly type: typeof MsgType.Vote | typeof MsgType.PreVote;
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Set by a leadership transfer: the voter ignores its leader lease. */
  readonly force: boolean;
}

/** Answer to a {@link VoteMsg}. */
export interface VoteRespMsg extends Base {
  readonly type: typeof MsgType.VoteResp | typeof MsgType.PreVoteResp;
  readonly reject: boolean;
}

/** AppendEntries. */
export interface AppMsg extends Base {
  readonly type: typeof MsgType.App;
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Answer to an {@link AppMsg}. On success `index` is the last index now known
 * to match. On rejection `index` is the rejected prevIndex and
 * (`hintIndex`, `hintTerm`) the follower's guess of where logs may agree,
 * so the leader can skip a whole term at a time.
 */
export interface AppRespMsg extends Base {
  readonly type: typeof MsgType.AppResp;
  readonly index: number;
  readonly reject: boolean;
  readonly hintIndex: number;
  readonly hintTerm: number;
}

/** Leader heartbeat; `ctx` > 0 names a read-index round it also confirms. */
export interface HeartbeatMsg extends Base {
  readonly type: typeof MsgType.Heartbeat;
  readonly commit: number;
  readonly ctx: number;
}

/** Answer to a {@link HeartbeatMsg}, echoing its `ctx`. */
export interface HeartbeatRespMsg extends Base {
  readonly type: typeof MsgType.HeartbeatResp;
  readonly ctx: number;
}

/** Proposals forwarded by a follower to the leader. */
export interface PropMsg extends Base {
  readonly type: typeof MsgType.Prop;
  readonly entries: readonly Entry[];
}

/** A follower asks the leader for a read index; `ctx` is the follower's request id. */
export interface ReadIndexMsg extends Base {
  readonly type: typeof MsgType.ReadIndex;
  readonly ctx: number;
}

/** The leader's answer to a {@link ReadIndexMsg}. */
export interface ReadIndexRespMsg extends Base {
  readonly type: typeof MsgType.ReadIndexResp;
  readonly ctx: number;
  readonly index: number;
}

/** Tells a caught-up follower to campaign at once (leadership transfer). */
export interface TimeoutNowMsg extends Base {
  readonly type: typeof MsgType.TimeoutNow;
}

/** The configuration carried by a snapshot (see `StoredConfig` in confchange). */
export interface SnapshotConfig {
  readonly voters: readonly NodeId[];
  readonly outgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly removed: readonly NodeId[];
  readonly epoch: number;
  readonly addresses: Readonly<Record<NodeId, string>>;
}

/**
 * One chunk of an InstallSnapshot transfer. Chunks go in order; `offset` is
 * where `data` starts in the whole snapshot of `total` bytes.
 */
export interface SnapshotMsg extends Base {
  readonly type: typeof MsgType.Snapshot;
  readonly index: number;
  readonly snapTerm: number;
  readonly config: SnapshotConfig;
  readonly offset: number;
  readonly total: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/** Answer to a {@link SnapshotMsg}: bytes received so far, or a rejection that aborts the transfer. */
export interface SnapshotRespMsg extends Base {
  readonly type: typeof MsgType.SnapshotResp;
  readonly index: number;
  readonly offset: number;
  readonly reject: boolean;
}

/** Every message that crosses the wire. */
export type Message =
  | VoteMsg
  | VoteRespMsg
  | AppMsg
  | AppRespMsg
  | HeartbeatMsg
  | HeartbeatRespMsg
  | PropMsg
  | ReadIndexMsg
  | ReadIndexRespMsg
  | TimeoutNowMsg
  | SnapshotMsg
  | SnapshotRespMsg;

/** A read that is now safe to serve once the state machine has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly ctx: number;
}

/** Volatile state worth telling the driver about when it changes. */
export interface SoftState {
  readonly role: Role;
  readonly leaderId: NodeId | null;
  readonly term: number;
}

/**
 * Everything the core asks its driver to do, taken with `ready()` and
 * acknowledged with `advance()`. The driver:
 * 1. sends `messages` at once (leader replication, safe in parallel with the disk write);
 * 2. persists `hardState` and `entries` (entries replace any stored suffix from entries[0].index);
 * 3. then sends `messagesAfterPersist` (votes, append acknowledgements...);
 * 4. applies `committedEntries` in order and serves `readStates` once applied;
 * 5. calls `advance(ready)`.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
  /**
   * A snapshot received from the leader, to install before anything else:
   * save it (discarding the whole log if `discardLog`), restore the state
   * machine from it, then `advance`.
   */
  readonly snapshot: ReadySnapshot | null;
}

/** A snapshot handed to the driver to install. */
export interface ReadySnapshot {
  readonly index: number;
  readonly term: number;
  readonly config: SnapshotConfig;
  readonly data: Uint8Array;
  /** The local log conflicts with the snapshot (or does not reach it): delete it. */
  readonly discardLog: boolean;
}

/** Outcome of a proposal to the core. */
export type ProposeResult =
  | { readonly ok: true; readonly forwarded: false; readonly index: number; readonly term: number }
  | { readonly ok: true; readonly forwarded: true }
  | { readonly ok: false; readonly reason: 'not-leader' | 'too-many-uncommitted-bytes' | 'transferring'; readonly leaderId: NodeId | null };
