import type { Entry, HardState } from '../raft/core/types.js';
import type { PersistentState, RaftStorage, SnapshotSaveOptions, StorageUpdate, StoredSnapshot } from './storage.js';

/**
 * {@link RaftStorage} in memory: "durable" for as long as the object lives,
 * which is what tests and single-process demos need. Keep the object across
 * a node's restart to model a disk that survived.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage();
 * const node = new RaftNode({ id: 'a', peers: ['a'], storage, transport, stateMachine });
 * ```
 */
export class MemoryStorage implements RaftStorage {
  private hard: HardState = { term: 0, vote: null, commit: 0 };
  private log: Entry[] = [];
  private snap: StoredSnapshot | null = null;
  /** How many `save` calls completed. */
  saves = 0;

  async load(): Promise<PersistentState> {
    return { hardState: this.hard, entries: [...this.log], snapshot: this.snap };
  }

  async save(update: StorageUpdate): Promise<void> {
    if (update.hardState !== null) this.hard = update.hardState;
    const first = update.entries[0];
    if (first !== undefined) {
      const offset = this.log.length === 0 ? first.index : this.log[0]!.index;
      if (this.log.length === 0 && this.snap !== null && first.index > this.snap.meta.index + 1) {
        throw new Error(`MemoryStorage: append at ${first.index} would leave a hole after snapshot ${this.snap.meta.index}`);
      }
      const keep = first.index - offset;
      if (keep < 0 || keep > this.log.length) throw new Error(`MemoryStorage: append at ${first.index} would leave a hole`);
      this.log.length = keep;
      for (const e of update.entries) this.log.push(e);
    }
    this.saves++;
  }

  async saveSnapshot(snapshot: StoredSnapshot, options: SnapshotSaveOptions): Promise<void> {
    this.snap = snapshot;
    if (options.discardLog) this.log = [];
    else this.log = this.log.filter((e) => e.index > options.compactTo);
  }

  /** The stored snapshot (for tests). */
  get snapshot(): StoredSnapshot | null {
    return this.snap;
  }

  /** The stored hard state (for tests). */
  get hardState(): HardState {
    return this.hard;
  }

  /** The stored log (for tests). */
  get entries(): readonly Entry[] {
    return this.log;
  }
}
