/**
 * Options of {@link RaftNode}: one interface, one frozen defaults object,
 * one resolver that checks relations between fields.
 * @module
 */
import { realClock, type Clock } from '../clock.js';
import { expectedGot } from '../errors.js';
import type { RaftStorage } from '../storage/storage.js';
import type { RaftTransport } from '../transport/transport.js';
import { createPrng, type Prng } from '../util/prng.js';
import type { NodeId } from './core/types.js';
import type { StateMachine } from './state-machine.js';

/** Options of a {@link RaftNode}. */
export interface RaftNodeOptions<R = unknown> {
  /** This node's id; unique in the cluster and never reused. */
  id: NodeId;
  /** Ids of the initial voters, this node included (it is added if missing). */
  peers: readonly NodeId[];
  /** How messages reach peers. */
  transport: RaftTransport;
  /** Where hard state and log are kept. */
  storage: RaftStorage;
  /** The replicated state. */
  stateMachine: StateMachine<R>;
  /** Time source. @default realClock() */
  clock?: Clock;
  /** Randomness for election timeouts. @default a generator seeded from `seed` */
  prng?: Prng;
  /** Seed of the default `prng`. @default a random seed */
  seed?: number;
  /** Length of one logical tick, ms. @default 10 */
  tickIntervalMs?: number;
  /** Minimum election timeout, ms; each timeout is random in [this, 2 × this). @default 150 */
  electionTimeoutMs?: number;
  /** Leader heartbeat interval, ms. @default 50 */
  heartbeatIntervalMs?: number;
  /** Run a PreVote round before an election. @default true */
  preVote?: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down. @default true */
  checkQuorum?: boolean;
  /** Followers forward proposals to the leader; if false they fail with `NotLeaderError`. @default true */
  forwardProposals?: boolean;
  /** How long a proposal or read may wait before failing with `TimeoutError`, ms. @default 5000 */
  requestTimeoutMs?: number;
  /** Append messages in flight per follower. @default 256 */
  maxInflightMsgs?: number;
  /** Bytes of entries in flight per follower. @default 33554432 */
  maxInflightBytes?: number;
  /** Bytes of entries per append message. @default 1048576 */
  maxMsgBytes?: number;
  /** Uncommitted bytes the leader accepts before failing proposals with `ProposalDroppedError`. @default 67108864 */
  maxUncommittedBytes?: number;
  /** Largest command accepted by `propose`, bytes. @default 8388608 */
  maxCommandBytes?: number;
  /** Addresses of peers, for `NotLeaderError.leaderAddress` (else asked of the transport). */
  addresses?: Readonly<Record<NodeId, string>>;
  /**
   * Start as a node joining an existing cluster: no initial configuration;
   * it learns the membership from the leader after being added (`addLearner`). @default false
   */
  join?: boolean;
  /** Take a snapshot after this many entries applied since the last one (as etcd's snapshot count). @default 100000 */
  snapshotThresholdEntries?: number;
  /** …or after this many command bytes applied since the last one. @default 67108864 (64 MiB) */
  snapshotThresholdBytes?: number;
  /** Entries kept in the log behind a snapshot, so slightly slow followers need no snapshot. @default 5000 */
  snapshotTrailingEntries?: number;
  /** Bytes per InstallSnapshot chunk. @default 1048576 (1 MiB) */
  snapshotChunkBytes?: number;
  /** How long a snapshot transfer may wait for one chunk's acknowledgement before it restarts, ms. @default 2 × electionTimeoutMs */
  snapshotChunkTimeoutMs?: number;
  /**
   * How linearizable reads are confirmed: `index` (ReadIndex: one heartbeat
   * round per batch of reads) or `lease` (served locally while a quorum
   * answered a heartbeat within the election timeout less `maxClockDriftMs`;
   * requires `checkQuorum`, and that clocks advance at rates within that
   * drift of each other). @default 'index'
   */
  readMode?: 'index' | 'lease';
  /**
   * Recover from a lost quorum, as Swarm's `--force-new-cluster`: on start,
   * this node becomes the only voter of a new configuration built from its
   * own log (every entry it has is kept and committed), and the cluster
   * epoch goes up so old members cannot disturb it. The other old members
   * are removed for good; add nodes back as new members with new ids (on
   * empty storage). Use on one surviving node only, once. @default false
   */
  forceNewCluster?: boolean;
  /** Lease reads: the most the nodes' monotonic clocks may drift apart over one election timeout, ms. @default 2 × tickIntervalMs */
  maxClockDriftMs?: number;
}

/** The options {@link RAFT_NODE_DEFAULTS} gives values for. */
export type DefaultedNodeOptions = 'tickIntervalMs' | 'electionTimeoutMs' | 'heartbeatIntervalMs' | 'preVote' | 'checkQuorum' | 'forwardProposals' | 'requestTimeoutMs'
  | 'maxInflightMsgs' | 'maxInflightBytes' | 'maxMsgBytes' | 'maxUncommittedBytes' | 'maxCommandBytes' | 'join' | 'snapshotThresholdEntries'
  | 'snapshotThresholdBytes' | 'snapshotTrailingEntries' | 'snapshotChunkBytes' | 'readMode' | 'forceNewCluster';

/** Defaults of {@link RaftNodeOptions} (each documented on the option). */
export const RAFT_NODE_DEFAULTS: Readonly<Required<Pick<RaftNodeOptions, DefaultedNodeOptions>>> = Object.freeze({
  tickIntervalMs: 10,
  electionTimeoutMs: 150,
  heartbeatIntervalMs: 50,
  preVote: true,
  checkQuorum: true,
  forwardProposals: true,
  requestTimeoutMs: 5000,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  maxMsgBytes: 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
  maxCommandBytes: 8 * 1024 * 1024,
  join: false,
  snapshotThresholdEntries: 100_000,
  snapshotThresholdBytes: 64 * 1024 * 1024,
  snapshotTrailingEntries: 5000,
  snapshotChunkBytes: 1024 * 1024,
  readMode: 'index',
  forceNewCluster: false,
});

/** Resolved options: every default filled, times converted to ticks. */
export interface ResolvedNodeOptions<R> extends Required<Omit<RaftNodeOptions<R>, 'seed' | 'addresses' | 'snapshotChunkTimeoutMs' | 'maxClockDriftMs'>> {
  readonly leaseDriftTicks: number;
  readonly addresses: Readonly<Record<NodeId, string>>;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly snapshotChunkTimeoutTicks: number;
}

function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0]!;
  return (Date.now() ^ (performance.now() * 1000)) >>> 0;
}

function positive(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw expectedGot(name, 'a positive number', v);
}

/** Fill defaults and validate. Throws `InvalidConfigError` with "expected … got …". */
export function resolveNodeOptions<R>(o: RaftNodeOptions<R>): ResolvedNodeOptions<R> {
  if (typeof o.id !== 'string' || o.id.length === 0) throw expectedGot('id', 'a non-empty string', o.id);
  if (!Array.isArray(o.peers)) throw expectedGot('peers', 'an array of node ids', o.peers);
  for (const k of ['transport', 'storage', 'stateMachine'] as const) if (typeof o[k] !== 'object' || o[k] === null) throw expectedGot(k, 'an object', o[k]);
  const merged = { ...RAFT_NODE_DEFAULTS, ...definedOnly(o) };
  for (const k of ['tickIntervalMs', 'electionTimeoutMs', 'heartbeatIntervalMs', 'requestTimeoutMs', 'maxInflightMsgs', 'maxInflightBytes', 'maxMsgBytes', 'maxUncommittedBytes', 'maxCommandBytes', 'snapshotThresholdEntries', 'snapshotThresholdBytes', 'snapshotChunkBytes'] as const) {
    positive(k, merged[k]);
  }
  const electionTicks = Math.round(merged.electionTimeoutMs / merged.tickIntervalMs);
  const heartbeatTicks = Math.max(1, Math.round(merged.heartbeatIntervalMs / merged.tickIntervalMs));
  if (electionTicks < 2) throw expectedGot('electionTimeoutMs', `at least 2 × tickIntervalMs (${2 * merged.tickIntervalMs})`, merged.electionTimeoutMs);
  if (heartbeatTicks >= electionTicks) throw expectedGot('heartbeatIntervalMs', `less than electionTimeoutMs (${merged.electionTimeoutMs})`, merged.heartbeatIntervalMs);
  if (!Number.isSafeInteger(merged.snapshotTrailingEntries) || merged.snapshotTrailingEntries < 0) {
    throw expectedGot('snapshotTrailingEntries', 'a non-negative integer', merged.snapshotTrailingEntries);
  }
  const chunkTimeoutMs = o.snapshotChunkTimeoutMs ?? 2 * merged.electionTimeoutMs;
  positive('snapshotChunkTimeoutMs', chunkTimeoutMs);
  const peers = merged.join ? [] : merged.peers.includes(o.id) ? [...merged.peers] : [...merged.peers, o.id];
  if (new Set(peers).size !== peers.length) throw expectedGot('peers', 'distinct ids', merged.peers);
  return {
    ...merged,
    peers,
    clock: o.clock ?? realClock(),
    prng: o.prng ?? createPrng(o.seed ?? randomSeed()),
    addresses: o.addresses ?? {},
    electionTicks,
    heartbeatTicks,
    snapshotChunkTimeoutTicks: Math.max(1, Math.round(chunkTimeoutMs / merged.tickIntervalMs)),
    leaseDriftTicks: leaseDrift(merged, electionTicks, o.maxClockDriftMs),
  };
}

function leaseDrift(o: { readMode: string; checkQuorum: boolean; tickIntervalMs: number; electionTimeoutMs: number }, electionTicks: number, driftMs?: number): number {
  if (o.readMode !== 'index' && o.readMode !== 'lease') throw expectedGot('readMode', "'index' or 'lease'", o.readMode);
  if (o.readMode === 'lease' && !o.checkQuorum) throw expectedGot('readMode', "'index' when checkQuorum is off (a lease needs CheckQuorum)", o.readMode);
  const ms = driftMs ?? 2 * o.tickIntervalMs;
  // Round up: a lease must err on the short side.
  const ticks = Math.ceil(ms / o.tickIntervalMs);
  if (!Number.isFinite(ms) || ms < 0 || ticks >= electionTicks) throw expectedGot('maxClockDriftMs', `a number in [0, electionTimeoutMs (${o.electionTimeoutMs}))`, driftMs);
  return ticks;
}

function definedOnly<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
