/**
 * When and how a node snapshots its state machine: after enough entries or
 * bytes were applied since the last snapshot, it captures the state at the
 * applied index, writes it while the node keeps working, then lets the core
 * compact its log, keeping a trailing window for slow followers.
 */
import type { RaftStorage } from '../storage/storage.js';
import type { RaftCore } from './core/raft.js';
import type { SnapshotConfig } from './core/types.js';
import type { StateMachine } from './state-machine.js';

/** Snapshot policy options (from `RaftNodeOptions`). */
export interface SnapshotPolicy {
  readonly snapshotThresholdEntries: number;
  readonly snapshotThresholdBytes: number;
  readonly snapshotTrailingEntries: number;
}

/** Where the applied state stands: index, term and configuration of the last applied entry. */
export interface AppliedPoint {
  readonly index: number;
  readonly term: number;
  readonly config: SnapshotConfig;
}

export class Snapshotter {
  private lastIndex = 0;
  private bytesSince = 0;
  private running = false;
  /** Snapshots taken by this node. */
  taken = 0;

  constructor(
    private readonly policy: SnapshotPolicy,
    private readonly sm: StateMachine<unknown>,
    private readonly storage: RaftStorage,
  ) {}

  /** The latest snapshot's index (from storage at start, an install, or one taken here). */
  reset(index: number): void {
    this.lastIndex = index;
    this.bytesSince = 0;
  }

  /** Count applied bytes; say whether a snapshot is due. */
  applied(index: number, bytes: number): boolean {
    this.bytesSince += bytes;
    if (this.running) return false;
    return index - this.lastIndex >= this.policy.snapshotThresholdEntries || this.bytesSince >= this.policy.snapshotThresholdBytes;
  }

  /**
   * Capture the state machine at `at` and write it; then hand it to the core
   * and compact. The state machine's `snapshot()` is called synchronously,
   * before any later entry is applied.
   */
  async take(at: AppliedPoint, core: () => RaftCore | null): Promise<void> {
    if (this.running || at.index <= this.lastIndex) return;
    this.running = true;
    try {
      const captured = this.sm.snapshot();
      const data = captured instanceof Uint8Array ? captured : await captured;
      const compactTo = Math.max(0, at.index - this.policy.snapshotTrailingEntries);
      await this.storage.saveSnapshot({ meta: at, data }, { compactTo, discardLog: false });
      const c = core();
      if (c === null) return;
      c.setSnapshot(at.index, at.term, at.config, data);
      c.compact(compactTo);
      this.lastIndex = at.index;
      this.bytesSince = 0;
      this.taken++;
    } finally {
      this.running = false;
    }
  }
}
