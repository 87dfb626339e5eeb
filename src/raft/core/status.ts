/**
 * What {@link RaftCore} takes and reports besides messages and Readies:
 * proposals, status, counters and the outcome of a read request.
 * @module
 */
import type { RaftCore } from './raft.js';
import type { EntryTypeValue, NodeId, Role } from './types.js';

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

/** The status of `r`, for status pages and tests. */
export function coreStatus(r: RaftCore): CoreStatus {
  let progress: Record<NodeId, MemberProgress> | null = null;
  if (r.role === 'leader') {
    progress = {};
    for (const [id, pr] of r.tracker.progress) progress[id] = { match: pr.match, next: pr.next, state: pr.state, recentActive: id === r.id || pr.recentActive || pr.activeBefore };
  }
  return {
    id: r.id,
    role: r.role,
    term: r.term,
    vote: r.vote,
    leaderId: r.leaderId,
    commitIndex: r.log.committed,
    appliedIndex: r.log.applied,
    lastLogIndex: r.log.lastIndex(),
    voters: [...r.config.incoming],
    outgoingVoters: [...r.config.outgoing],
    learners: [...r.config.learners],
    snapshotIndex: r.log.snapshotPoint().index,
    progress,
    transferringTo: r.leadTransferee,
    removed: r.config.removed.has(r.id),
    epoch: r.epoch(),
  };
}
