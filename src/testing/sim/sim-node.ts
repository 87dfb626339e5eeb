/**
 * One simulated node's pieces: the process (a `RaftCore` or nothing while
 * down), its state machine, its pause queue, and the idealized disk model
 * (a Ready's write completes after a latency; a crash keeps only completed
 * writes; a failed write makes the node fail-stop).
 * @module
 */
import type { RaftCore } from '../../raft/core/raft.js';
import type { PersistPipeline } from '../../raft/persist.js';
import type { Entry, HardState, NodeId, SnapshotConfig } from '../../raft/core/types.js';
import type { PersistentState, StoredSnapshot } from '../../storage/storage.js';
import type { Prng } from '../../util/prng.js';
import type { KvStateMachine } from '../../kv/state-machine.js';
import type { SimKvState } from './kv-sm.js';
import type { RaftSim } from './raft-sim.js';

/** A log position: an entry's index and term. */
export interface LogPosition {
  /** Log index. */
  readonly index: number;
  /** Term of the entry at that index. */
  readonly term: number;
}

/** What a node's disk holds (synchronously readable by the disk model checks). */
export interface DurableLog {
  /** Whether the entry (index, term) survives a crash now, in the log or under a snapshot. */
  holds(index: number, term: number): boolean;
}

/**
 * How a node persists: the idealized model or `FileStorage` on a `SimDisk`.
 * Completions arrive as loop events (or settled promises), never synchronously.
 */
export interface NodeDisk extends DurableLog {
  /** Persist hard state and entries (suffix-truncating); `done` once durable, `fail` on an I/O error. */
  save(hardState: HardState | null, entries: readonly Entry[], done: () => void, fail: (e: unknown) => void): void;
  /** Persist a snapshot and trim the log to `compactTo` (or discard it); `done` once durable. */
  saveSnapshot(snap: StoredSnapshot, compactTo: number, discardLog: boolean, done: () => void, fail: (e: unknown) => void): void;
  /** The process died: apply the crash rules; pending completions never arrive. */
  crash(): void;
  /** The disk is replaced by an empty one. */
  wipe(): void;
  /** Recover what survived (a promise for an async storage). */
  load(): PersistentState | Promise<PersistentState>;
  /** Index of the last durable entry (the snapshot's when the log is empty). */
  lastIndex(): number;
  /** The last durable log entry (index and term), or null when the log is empty. */
  lastEntry(): LogPosition | null;
  /** Torn tails truncated by recoveries so far. */
  readonly tornTails: number;
}

/** A simulated node. */
export interface SimNode {
  /** The node's id. */
  readonly id: NodeId;
  /** The running process, or null while the node is down. */
  core: RaftCore | null;
  /** Its storage; outlives crashes. */
  disk: NodeDisk;
  /** Its replica's state, as of the last applied entry. */
  sm: SimKvState;
  /** Real-KV runs: this replica's `KvStateMachine` (null while a restore is in flight, and in sim-KV runs). */
  kv: KvStateMachine | null;
  /** Configuration in force at the applied index. */
  config: SnapshotConfig;
  /** @internal Pipelined writes (`writes: 'pipelined'`), or null when each Ready is persisted before the next. */
  pipeline: PersistPipeline | null;
  /** A Ready is being persisted (pipelined: a leader's snapshot is being installed); the next one waits for it. */
  writing: boolean;
  /** A Ready-processing event is already queued. */
  scheduled: boolean;
  /** Bumped at every boot and crash; callbacks of an earlier incarnation are ignored. */
  incarnation: number;
  /** Deferred events while paused, or null when running. */
  paused: (() => void)[] | null;
  /** Booting after a wipe: start knowing no configuration. */
  wiped: boolean;
  /** Ticks per tick event (1 normally; clock-skew faults change it). */
  tickScale: number;
  /** Fail-stopped after a storage error: stays down until restarted. */
  failed: boolean;
  /** Its storage refused to start (corruption): it needs a wipe. */
  refused: boolean;
  /** The node's timer-jitter stream; each boot forks the core's PRNG from it. */
  readonly rng: Prng;
}

/** Options of {@link MemoryDisk}. */
export interface MemoryDiskOptions {
  /** Schedule a completion after `ms` virtual milliseconds. */
  schedule(ms: number, fn: () => void): void;
  /** Write latency, ms. */
  latency(): number;
  /** Probability a write fails (EIO). */
  failRate(): number;
  /** Random numbers for failures. */
  rng: Prng;
}

/** The idealized disk: what was completed survives, nothing else. */
export class MemoryDisk implements NodeDisk {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private entries: Entry[] = [];
  private snapshot: StoredSnapshot | null = null;
  private gen = 0;
  readonly tornTails = 0;

  constructor(private readonly o: MemoryDiskOptions) {}

  save(hardState: HardState | null, entries: readonly Entry[], done: () => void, fail: (e: unknown) => void): void {
    const gen = this.gen;
    const failed = this.o.failRate() > 0 && this.o.rng.next() < this.o.failRate();
    this.o.schedule(this.o.latency(), () => {
      if (gen !== this.gen) return;
      if (failed) return fail(new Error('EIO'));
      if (hardState !== null) this.hardState = hardState;
      if (entries.length > 0) {
        const first = entries[0]!.index;
        this.entries = this.entries.filter((e) => e.index < first).concat(entries);
      }
      done();
    });
  }

  saveSnapshot(snap: StoredSnapshot, compactTo: number, discardLog: boolean, done: () => void): void {
    // Written synchronously when taken locally (the state machine's own snapshot), at the next event when installed.
    this.snapshot = snap;
    this.entries = discardLog ? [] : this.entries.filter((e) => e.index > compactTo);
    done();
  }

  crash(): void {
    this.gen++;
  }

  wipe(): void {
    this.gen++;
    this.hardState = { term: 0, vote: null, commit: 0 };
    this.entries = [];
    this.snapshot = null;
  }

  load(): PersistentState {
    return { hardState: this.hardState, entries: this.entries, snapshot: this.snapshot };
  }

  lastIndex(): number {
    return this.entries[this.entries.length - 1]?.index ?? this.snapshot?.meta.index ?? 0;
  }

  lastEntry(): LogPosition | null {
    return this.entries[this.entries.length - 1] ?? null;
  }

  holds(index: number, term: number): boolean {
    if (this.snapshot !== null && this.snapshot.meta.index >= index) return true;
    const first = this.entries[0]?.index;
    if (first === undefined) return false;
    return this.entries[index - first]?.term === term;
  }
}

/** The idealized disk of node `id`, with the run's latency range and disk faults. */
export function memoryDiskFor(sim: RaftSim, id: NodeId): NodeDisk {
  const rng = sim.streams.disk(id);
  return new MemoryDisk({
    schedule: (ms, fn) => sim.loop.schedule(ms, fn),
    latency: () => {
      const [lo, hi] = sim.o.diskMs;
      const f = sim.diskFaults;
      return lo + rng.next() * (hi - lo) + (f.spikeRate > 0 && rng.next() < f.spikeRate ? f.spikeMs : 0);
    },
    failRate: () => sim.diskFaults.failRate,
    rng,
  });
}

/**
 * Whether `o` will vote: it knows a configuration naming it a voter. A down
 * node restarts with the configuration it had applied, so it votes only if
 * that one names it (a voter added while down, seed 730219, restarts with
 * none and cannot vote; neither can a wiped one).
 */
export function knowsItVotes(o: SimNode): boolean {
  const cfg = o.core === null ? (o.wiped ? null : o.config) : o.core.configuration();
  return cfg !== null && (cfg.voters.includes(o.id) || cfg.outgoing.includes(o.id));
}
