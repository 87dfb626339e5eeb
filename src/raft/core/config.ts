/**
 * Options of the pure core, in ticks and bytes, with one frozen defaults
 * object and one resolver.
 */
import { expectedGot } from '../../errors.js';
import type { Prng } from '../../util/prng.js';
import type { Entry, HardState, NodeId } from './types.js';

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
  /** Restored snapshot point. */
  snapshot?: { index: number; term: number };
}

/** Defaults of {@link RaftCoreOptions}. */
export const RAFT_CORE_DEFAULTS = Object.freeze({
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  forwardProposals: true,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  maxMsgBytes: 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
});

/** Options with every default filled in. */
export type ResolvedCoreOptions = Required<Omit<RaftCoreOptions, 'hardState' | 'entries' | 'snapshot'>> &
  Pick<RaftCoreOptions, 'hardState' | 'entries' | 'snapshot'>;

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw expectedGot(name, 'a positive integer', v);
}

/** Fill defaults and check relations between fields. */
export function resolveCoreOptions(o: RaftCoreOptions): ResolvedCoreOptions {
  const r: ResolvedCoreOptions = { ...RAFT_CORE_DEFAULTS, learners: [], ...stripUndefined(o) } as ResolvedCoreOptions;
  if (typeof r.id !== 'string' || r.id.length === 0) throw expectedGot('id', 'a non-empty string', r.id);
  for (const k of ['electionTicks', 'heartbeatTicks', 'maxInflightMsgs', 'maxInflightBytes', 'maxMsgBytes', 'maxUncommittedBytes'] as const) positiveInt(k, r[k]);
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
