/**
 * Options of the pure core, in ticks and bytes, with one frozen defaults
 * object and one resolver.
 */
import { expectedGot } from '../../errors.js';
import type { Prng } from '../../util/prng.js';
import type { Entry, HardState, NodeId, SnapshotConfig } from './types.js';

/** Options of {@link RaftCore}. */
export interface RaftCoreOptions {
  /** This node's id. */
  id: NodeId;
  /** Voters of the initial configuration (used when no configuration was restored). */
  voters: readonly NodeId[];
  /** Learners of the initial configuration. @default [] */
  learners?: readonly NodeId[];
  /** The seeded randomness for election timeouts. */
  prng: Prng;
  /** Minimum election timeout in ticks; the actual one is random in [ET, 2·ET). @default 10 */
  electionTicks?: number;
  /** Heartbeat interval in ticks. @default 1 */
  heartbeatTicks?: number;
  /** Run a PreVote round before raising the term. @default true */
  preVote?: boolean;
  /** A leader steps down if it has not heard from a quorum within an election timeout. @default true */
  checkQuorum?: boolean;
  /** Followers forward proposals to the leader instead of refusing them. @default true */
  forwardProposals?: boolean;
  /** Append messages in flight per follower. @default 256 */
  maxInflightMsgs?: number;
  /** Bytes of entry data in flight per follower. @default 33554432 (32 MiB) */
  maxInflightBytes?: number;
  /** Bytes of entry data per append message (at least one entry is always sent). @default 1048576 (1 MiB) */
  maxMsgBytes?: number;
  /** Bytes of proposed but uncommitted entry data a leader accepts before refusing proposals. @default 67108864 (64 MiB) */
  maxUncommittedBytes?: number;
  /** Restored hard state. */
  hardState?: HardState;
  /** Restored log entries (after the snapshot, contiguous). */
  entries?: readonly Entry[];
  /** Bytes per InstallSnapshot chunk. @default 1048576 (1 MiB) */
  snapshotChunkBytes?: number;
  /** InstallSnapshot chunks in flight per follower. @default 4 */
  snapshotWindow?: number;
  /** Ticks without a chunk acknowledgement before a snapshot transfer is aborted (and restarted). @default 2 × electionTicks */
  snapshotChunkTimeoutTicks?: number;
  /** Reads: `index` (ReadIndex, a heartbeat round per batch) or `lease` (local while a quorum acknowledged within the lease; needs checkQuorum). @default 'index' */
  readMode?: 'index' | 'lease';
  /** Ticks subtracted from the election timeout to bound clock drift in lease reads. @default 1 */
  leaseDriftTicks?: number;
  /** Restored snapshot: its point, the configuration in force there, and its data (served to followers). */
  snapshot?: RestoredSnapshot;
  /**
   * The driver persists Readies asynchronously (the next `ready()` may be taken
   * while earlier writes are in flight) and acknowledges each write with
   * `persisted(index, term)`: committed entries are then handed out only once
   * durable here, and `advance` acknowledges only the apply. @default false
   */
  asyncStorageWrites?: boolean;
}

/** The options {@link RAFT_CORE_DEFAULTS} gives values for. */
export type DefaultedCoreOptions = 'electionTicks' | 'heartbeatTicks' | 'preVote' | 'checkQuorum' | 'forwardProposals' | 'maxInflightMsgs' | 'maxInflightBytes'
  | 'maxMsgBytes' | 'maxUncommittedBytes' | 'snapshotChunkBytes' | 'snapshotWindow' | 'readMode' | 'leaseDriftTicks' | 'asyncStorageWrites';

/** A snapshot the core starts from. */
export interface RestoredSnapshot {
  /** Index of the snapshot's last entry. */
  index: number;
  /** Term of that entry. */
  term: number;
  /** Configuration in force there (else the initial voters). */
  config?: SnapshotConfig;
  /** The snapshot's bytes, served to lagging followers. */
  data?: Uint8Array;
}

/** Defaults of {@link RaftCoreOptions} (each documented on the option). */
export const RAFT_CORE_DEFAULTS: Readonly<Required<Pick<RaftCoreOptions, DefaultedCoreOptions>>> = Object.freeze({
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  forwardProposals: true,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  maxMsgBytes: 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
  snapshotChunkBytes: 1024 * 1024,
  snapshotWindow: 4,
  readMode: 'index',
  leaseDriftTicks: 1,
  asyncStorageWrites: false,
});

/** Options with every default filled in. */
export type ResolvedCoreOptions = Required<Omit<RaftCoreOptions, 'hardState' | 'entries' | 'snapshot'>> &
  Pick<RaftCoreOptions, 'hardState' | 'entries' | 'snapshot'>;

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw expectedGot(name, 'a positive integer', v);
}

/** Fill defaults and check relations between fields. */
export function resolveCoreOptions(o: RaftCoreOptions): ResolvedCoreOptions {
  const given = stripUndefined(o);
  const electionTicks = given.electionTicks ?? RAFT_CORE_DEFAULTS.electionTicks;
  const r: ResolvedCoreOptions = { ...RAFT_CORE_DEFAULTS, learners: [], snapshotChunkTimeoutTicks: 2 * electionTicks, ...given } as ResolvedCoreOptions;
  if (typeof r.id !== 'string' || r.id.length === 0) throw expectedGot('id', 'a non-empty string', r.id);
  for (const k of ['electionTicks', 'heartbeatTicks', 'maxInflightMsgs', 'maxInflightBytes', 'maxMsgBytes', 'maxUncommittedBytes', 'snapshotChunkBytes', 'snapshotWindow', 'snapshotChunkTimeoutTicks'] as const) positiveInt(k, r[k]);
  if (r.readMode !== 'index' && r.readMode !== 'lease') throw expectedGot('readMode', "'index' or 'lease'", r.readMode);
  if (r.readMode === 'lease' && !r.checkQuorum) throw expectedGot('readMode', "'index' unless checkQuorum is on (a lease needs CheckQuorum)", r.readMode);
  if (!Number.isSafeInteger(r.leaseDriftTicks) || r.leaseDriftTicks < 0 || r.leaseDriftTicks >= r.electionTicks) {
    throw expectedGot('leaseDriftTicks', `an integer in [0, electionTicks)`, r.leaseDriftTicks);
  }
  if (r.heartbeatTicks >= r.electionTicks) throw expectedGot('heartbeatTicks', `less than electionTicks (${r.electionTicks})`, r.heartbeatTicks);
  const voters = new Set(r.voters);
  if (voters.size !== r.voters.length) throw expectedGot('voters', 'distinct ids', r.voters);
  for (const l of r.learners) if (voters.has(l)) throw expectedGot('learners', 'ids that are not voters', l);
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
