/**
 * The `RaftStorage` adapter contract: where a {@link RaftNode} keeps its
 * hard state and log so they survive a restart.
 * @module
 */
import type { StoredConfig } from '../raft/core/confchange.js';
import type { Entry, HardState } from '../raft/core/types.js';

/** Where a snapshot sits in the log, and the configuration in force there. */
export interface SnapshotMeta {
  /** Index of the last entry the snapshot covers. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
  /** The cluster configuration in force at `index`. */
  readonly config: StoredConfig;
}

/** A state machine snapshot with its position. */
export interface StoredSnapshot {
  /** Where the snapshot sits in the log, and the configuration in force there. */
  readonly meta: SnapshotMeta;
  /** The state machine's serialized state at `meta.index`. */
  readonly data: Uint8Array;
}

/** What a node finds on its storage at start. */
export interface PersistentState {
  /** Term, vote and commit hint; `{ term: 0, vote: null, commit: 0 }` on a new node. */
  readonly hardState: HardState;
  /**
   * The log, contiguous and in index order. Without a snapshot it starts at
   * 1; with one it may start at or before `snapshot.meta.index + 1` (entries
   * kept for slow followers). The node discards entries that contradict the
   * snapshot, so a crash between writing a snapshot and trimming the log is safe.
   */
  readonly entries: readonly Entry[];
  /** The latest durable snapshot, if any. */
  readonly snapshot: StoredSnapshot | null;
}

/** How to treat the log when a snapshot is saved. */
export interface SnapshotSaveOptions {
  /** Entries with index ≤ this may be deleted once the snapshot is durable. */
  readonly compactTo: number;
  /** Delete every log entry (the snapshot came from the leader and the log conflicts with it). */
  readonly discardLog: boolean;
}

/** One durable update: a new hard state and/or log entries. */
export interface StorageUpdate {
  /** The new hard state, or null if unchanged. */
  readonly hardState: HardState | null;
  /**
   * Entries to append, contiguous. Any stored entries with index ≥
   * `entries[0].index` are removed first (a suffix truncation), so the log
   * stays without holes.
   */
  readonly entries: readonly Entry[];
}

/**
 * Durable storage of one node's Raft state.
 *
 * Requirements for implementations:
 * - `save` is atomic and durable: when its promise resolves, the hard state
 *   and every entry are on stable storage (fsynced) and will be returned by
 *   `load` after a crash. A crash before it resolves leaves either the old or
 *   the new state for the hard state, and a prefix of the new entries.
 * - Calls are serialized by the node: a `save` never starts before the
 *   previous one resolved. Implementations need no locking.
 * - Truncation: entries from `entries[0].index` on replace the stored suffix;
 *   the log never has holes.
 * - A failed `save` rejects; the node then stops for good (fail-stop) and
 *   never retries it, since a failed fsync may have lost data silently.
 * - `load` returns exactly what the last successful saves left.
 */
export interface RaftStorage {
  /** Read the persisted state (called once, at start). */
  load(): Promise<PersistentState>;
  /** Durably apply one update; resolves once it is on stable storage. */
  save(update: StorageUpdate): Promise<void>;
  /**
   * Durably replace the stored snapshot (atomically: a crash leaves the old
   * or the new one, whole), then trim the log as `options` allow. It may run
   * while a `save` is in flight (a snapshot is written while the node keeps
   * working): trimming touches only entries ≤ `compactTo`, which are
   * committed and never rewritten, and must not lose entries a concurrent
   * `save` appends. With `discardLog` (installing a leader's snapshot) no
   * `save` runs concurrently.
   */
  saveSnapshot(snapshot: StoredSnapshot, options: SnapshotSaveOptions): Promise<void>;
  /** Release resources. */
  close?(): Promise<void>;
}
