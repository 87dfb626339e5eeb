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
  /** RequestVote (§5.2). */
  Vote: 1,
  /** Answer to a vote request. */
  VoteResp: 2,
  /** PreVote probe (§9.6). */
  PreVote: 3,
  /** Answer to a PreVote probe. */
  PreVoteResp: 4,
  /** AppendEntries (§5.3). */
  App: 5,
  /** Answer to AppendEntries. */
  AppResp: 6,
  /** Leader heartbeat. */
  Heartbeat: 7,
  /** Answer to a heartbeat. */
  HeartbeatResp: 8,
  /** Proposals forwarded to the leader. */
  Prop: 9,
  /** A follower asks the leader for a read index. */
  ReadIndex: 10,
  /** The leader's read index for a follower. */
  ReadIndexResp: 11,
  /** Campaign now (leadership transfer). */
  TimeoutNow: 12,
  /** One InstallSnapshot chunk. */
  Snapshot: 13,
  /** Acknowledgement of snapshot chunks. */
  SnapshotResp: 14,
} as const;

interface Base {
  /** Sender's term (0 only for local messages, which never reach the wire). */
  readonly term: number;
  /** Sender. */
  readonly from: NodeId;
  /** Recipient. */
  readonly to: NodeId;
  /**
   * The sender's cluster epoch, raised by a forced recovery
   * (`forceNewCluster`); absent means 0. Messages from an older epoch are ignored.
   */
  readonly epoch?: number;
}

/** RequestVote, or a PreVote probe (term is the term the candidate would campaign in). */
export interface VoteMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.Vote | typeof MsgType.PreVote;
  /** Index of the candidate's last log entry. */
  readonly lastIndex: number;
  /** Term of the candidate's last log entry. */
  readonly lastTerm: number;
  /** Set by a leadership transfer: the voter ignores its leader lease. */
  readonly force: boolean;
}

/** Answer to a {@link VoteMsg}. */
export interface VoteRespMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.VoteResp | typeof MsgType.PreVoteResp;
  /** True if the request was refused. */
  readonly reject: boolean;
}

/** AppendEntries. */
export interface AppMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.App;
  /** Index of the entry just before `entries`. */
  readonly prevIndex: number;
  /** Term of the entry at `prevIndex`. */
  readonly prevTerm: number;
  /** Entries to append (may be empty). */
  readonly entries: readonly Entry[];
  /** The sender's commit index (for a heartbeat: capped at the follower's match). */
  readonly commit: number;
}

/**
 * Answer to an {@link AppMsg}. On success `index` is the last index now known
 * to match. On rejection `index` is the rejected prevIndex and
 * (`hintIndex`, `hintTerm`) the follower's guess of where logs may agree,
 * so the leader can skip a whole term at a time.
 */
export interface AppRespMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.AppResp;
  /** A log index (see the message's description). */
  readonly index: number;
  /** True if the request was refused. */
  readonly reject: boolean;
  /** On rejection: the follower's guess of the last index where logs may agree. */
  readonly hintIndex: number;
  /** On rejection: the term at `hintIndex` on the follower (0 if unknown). */
  readonly hintTerm: number;
}

/** Leader heartbeat; `ctx` > 0 names a read-index round it also confirms. */
export interface HeartbeatMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.Heartbeat;
  /** The sender's commit index (for a heartbeat: capped at the follower's match). */
  readonly commit: number;
  /** Request or heartbeat number echoed back by the answer. */
  readonly ctx: number;
}

/** Answer to a {@link HeartbeatMsg}, echoing its `ctx`. */
export interface HeartbeatRespMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.HeartbeatResp;
  /** Request or heartbeat number echoed back by the answer. */
  readonly ctx: number;
}

/** Proposals forwarded by a follower to the leader. */
export interface PropMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.Prop;
  /** Entries to append (may be empty). */
  readonly entries: readonly Entry[];
}

/** A follower asks the leader for a read index; `ctx` is the follower's request id. */
export interface ReadIndexMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.ReadIndex;
  /** Request or heartbeat number echoed back by the answer. */
  readonly ctx: number;
}

/** The leader's answer to a {@link ReadIndexMsg}. */
export interface ReadIndexRespMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.ReadIndexResp;
  /** Request or heartbeat number echoed back by the answer. */
  readonly ctx: number;
  /** A log index (see the message's description). */
  readonly index: number;
}

/** Tells a caught-up follower to campaign at once (leadership transfer). */
export interface TimeoutNowMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.TimeoutNow;
}

/** The configuration carried by a snapshot (see `StoredConfig` in confchange). */
export interface SnapshotConfig {
  /** Voters (the incoming ones during a joint configuration). */
  readonly voters: readonly NodeId[];
  /** The previous voters while a voter change is in progress; empty otherwise. */
  readonly outgoing: readonly NodeId[];
  /** Non-voting members. */
  readonly learners: readonly NodeId[];
  /** Ids removed from the cluster; never reused. */
  readonly removed: readonly NodeId[];
  /** Cluster epoch, raised by `forceNewCluster`. */
  readonly epoch: number;
  /** Members' addresses, for transports and client redirects. */
  readonly addresses: Readonly<Record<NodeId, string>>;
}

/**
 * One chunk of an InstallSnapshot transfer. Chunks go in order; `offset` is
 * where `data` starts in the whole snapshot of `total` bytes.
 */
export interface SnapshotMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.Snapshot;
  /** A log index (see the message's description). */
  readonly index: number;
  /** Term of the snapshot's last entry. */
  readonly snapTerm: number;
  /** The configuration in force at the snapshot's index. */
  readonly config: SnapshotConfig;
  /** Byte offset (of this chunk, or acknowledged so far). */
  readonly offset: number;
  /** Size of the whole snapshot in bytes. */
  readonly total: number;
  /** Bytes. */
  readonly data: Uint8Array;
  /** This is the last chunk. */
  readonly done: boolean;
}

/** Answer to a {@link SnapshotMsg}: bytes received so far, or a rejection that aborts the transfer. */
export interface SnapshotRespMsg extends Base {
  /** The message tag. */
  readonly type: typeof MsgType.SnapshotResp;
  /** A log index (see the message's description). */
  readonly index: number;
  /** Byte offset (of this chunk, or acknowledged so far). */
  readonly offset: number;
  /** True if the request was refused. */
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
  /** A log index (see the message's description). */
  readonly index: number;
  /** Request or heartbeat number echoed back by the answer. */
  readonly ctx: number;
}

/** Volatile state worth telling the driver about when it changes. */
export interface SoftState {
  /** The node's role. */
  readonly role: Role;
  /** The known leader, or null. */
  readonly leaderId: NodeId | null;
  /** The current term. */
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
  /** Role, leader or term changed: the new values; else null. */
  readonly softState: SoftState | null;
  /** Term, vote or commit changed: persist this; else null. */
  readonly hardState: HardState | null;
  /** Entries to append (may be empty). */
  readonly entries: readonly Entry[];
  /** Entries to apply, in order. */
  readonly committedEntries: readonly Entry[];
  /** Messages that may be sent at once (leader replication). */
  readonly messages: readonly Message[];
  /** Messages to send only after `hardState` and `entries` are durable. */
  readonly messagesAfterPersist: readonly Message[];
  /** Reads now safe to serve once their index is applied. */
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
  /** A log index (see the message's description). */
  readonly index: number;
  /** The current term. */
  readonly term: number;
  /** The configuration in force at the snapshot's index. */
  readonly config: SnapshotConfig;
  /** Bytes. */
  readonly data: Uint8Array;
  /** The local log conflicts with the snapshot (or does not reach it): delete it. */
  readonly discardLog: boolean;
}

/** Outcome of a proposal to the core. */
export type ProposeResult =
  | {
      /** Accepted. */
      readonly ok: true;
      /** Appended here (this node leads). */
      readonly forwarded: false;
      /** Index of the first proposed entry. */
      readonly index: number;
      /** Term the entries were appended in. */
      readonly term: number;
    }
  | {
      /** Accepted. */
      readonly ok: true;
      /** Sent on to the leader. */
      readonly forwarded: true;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** Why: no leader here, backpressure, or a leadership transfer in progress. */
      readonly reason: 'not-leader' | 'too-many-uncommitted-bytes' | 'transferring';
      /** The known leader, or null. */
      readonly leaderId: NodeId | null;
    };
