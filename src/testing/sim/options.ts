/**
 * Options of a simulated run: one interface with `@default`s, one frozen
 * defaults object, one resolver.
 * @module
 */
import type { FaultPlan } from './faults.js';

/** Options of one simulated run. */
export interface RaftSimOptions {
  /** The seed; one seed is one history. */
  seed: number;
  /** Cluster size. @default 3 */
  nodes?: number;
  /** Events to run in the fault phase. @default 5000 */
  steps?: number;
  /** One-way network delay range without faults, ms. @default [1, 10] */
  delayMs?: readonly [number, number];
  /** Idealized disk write latency range, ms. @default [0, 5] */
  diskMs?: readonly [number, number];
  /** Logical tick length, ms. @default 10 */
  tickMs?: number;
  /** Election timeout in ticks. @default 10 */
  electionTicks?: number;
  /** Virtual ms of healed running after the fault phase (at least 20 election timeouts are run). @default 3000 */
  healMs?: number;
  /** PreVote on. @default true */
  preVote?: boolean;
  /** CheckQuorum on. @default true */
  checkQuorum?: boolean;
  /** Spare nodes that membership changes may add (ids are never reused). @default 2 */
  spares?: number;
  /** Entries kept behind a snapshot. @default 10 */
  trailingEntries?: number;
  /** Concurrent clients. @default 3 */
  clients?: number;
  /** Size of the hot key set. @default 3 */
  keys?: number;
  /** Mean client think time between operations, ms. @default 10 */
  thinkMs?: number;
  /** A client gives up on an operation after this long (outcome info), ms. @default 1000 */
  opTimeoutMs?: number;
  /** Clients retry a timed-out write with the same (client, sequence) instead of giving up. @default false */
  retryWrites?: boolean;
  /** How leaders serve reads; `auto` picks lease reads in about a third of the seeds. @default 'auto' */
  readMode?: 'index' | 'lease' | 'auto';
  /** What replicas apply: the simulator's register machine (`sim`), the real `KvStateMachine` with the node table (`real`), or `auto`: real in `realKvShare` of the seeds. @default 'auto' */
  kv?: 'sim' | 'real' | 'auto';
  /** Share of the seeds that run the real KV when `kv` is `auto`. @default 0.25 */
  realKvShare?: number;
  /** The disk model: the idealized one or `FileStorage` on a `SimDisk`. @default 'memory' */
  storage?: 'memory' | 'file';
  /** How nodes persist Readies: `sync` (one at a time), `pipelined` (as `RaftNode`: next Ready taken while a write is in flight), or `auto`: pipelined in half of the seeds. @default 'auto' */
  writes?: 'sync' | 'pipelined' | 'auto';
  /** The fault plan; picked from the seed (swarm testing) when omitted. */
  plan?: FaultPlan;
  /** Mean time between admin actions (snapshots, membership changes, transfers), ms; 0 turns them off. @default 300 */
  adminEveryMs?: number;
  /** A node whose storage refuses to start: `wipe` it (the operator's move), or count it as a `violation`. @default 'wipe' */
  onRefusedStart?: 'wipe' | 'violation';
  /** Largest append message, bytes (small values split batches into several messages). @default 4096 */
  maxMsgBytes?: number;
  /** The named scenario this run belongs to (for the replay command). @default null */
  scenario?: string | null;
}

/** Options with every default filled. */
export type ResolvedSimOptions = Required<Omit<RaftSimOptions, 'plan'>> & { plan: FaultPlan | undefined };

/** Defaults of {@link RaftSimOptions}. */
export const RAFT_SIM_DEFAULTS: Readonly<Required<Omit<RaftSimOptions, 'seed' | 'plan'>>> = Object.freeze({
  nodes: 3, steps: 5000, delayMs: [1, 10] as const, diskMs: [0, 5] as const, tickMs: 10, electionTicks: 10, healMs: 3000, preVote: true,
  checkQuorum: true, spares: 2, trailingEntries: 10, clients: 3, keys: 3, thinkMs: 10, opTimeoutMs: 1000, retryWrites: false,
  readMode: 'auto' as 'index' | 'lease' | 'auto', storage: 'memory' as 'memory' | 'file', adminEveryMs: 300, onRefusedStart: 'wipe' as 'wipe' | 'violation',
  scenario: null as string | null, maxMsgBytes: 4096, kv: 'auto' as 'sim' | 'real' | 'auto', realKvShare: 0.25,
  writes: 'auto' as 'sync' | 'pipelined' | 'auto',
});

/** Fill defaults. */
export function resolveSimOptions(o: RaftSimOptions): ResolvedSimOptions {
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as RaftSimOptions;
  return { ...RAFT_SIM_DEFAULTS, plan: undefined, ...given };
}
