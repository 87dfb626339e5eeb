/**
 * The persistence pipeline between the core's Readies and a node's storage:
 * one write in flight at a time (the {@link RaftStorage} contract), while
 * every Ready taken meanwhile is merged into the next write (group commit).
 * A leader keeps taking proposals and replicating them while its own disk
 * works, and each fsync carries everything that arrived during the previous
 * one. Used by `RaftNode` and by the simulator's pipelined nodes.
 *
 * The rule it keeps: the messages of a Ready that depend on persistence
 * (votes, append acknowledgements) leave only once that Ready's hard state
 * and entries, and those of every Ready before it, are durable.
 * @internal
 * @module
 */
import type { Entry, HardState, Message } from './core/types.js';
import type { StorageUpdate } from '../storage/storage.js';

/** What the pipeline asks of its owner. */
export interface PersistHooks {
  /** Start one durable write; call `done` once it is on stable storage, `fail` if it failed. */
  save(update: StorageUpdate, done: () => void, fail: (e: unknown) => void): void;
  /**
   * Everything pushed so far up to these messages is durable: send `after`,
   * and tell the core the log is durable up to `last` (null: no entries
   * written); `hardState` is the hard state just written, if one was.
   */
  durable(after: readonly Message[], last: Entry | null, hardState: HardState | null): void;
  /** A write failed: the node must stop (a failed write is never retried). */
  failed(e: unknown): void;
}

/** Writes merged while another was in flight. */
interface Batch {
  hardState: HardState | null;
  entries: Entry[];
  after: Message[];
}

/** Counters, for tests and the bench. */
export interface PersistStats {
  /** Writes started. */
  saves: number;
  /** Ready batches pushed. */
  pushed: number;
}

/** See the module documentation. */
export class PersistPipeline {
  private writing = false;
  private pending: Batch | null = null;
  private dead = false;
  private savedHard: HardState;
  /** A commit-only hard state change: Raft recovers the commit index, so it rides with the next write (as etcd's MustSync). */
  private unsavedHard: HardState | null = null;
  private idleWaiters: (() => void)[] = [];
  /** Counters since construction. */
  readonly stats: PersistStats = { saves: 0, pushed: 0 };

  constructor(
    private readonly hooks: PersistHooks,
    savedHard: HardState,
  ) {
    this.savedHard = savedHard;
  }

  /** Whether no write is in flight or waiting. */
  get idle(): boolean {
    return !this.writing && this.pending === null;
  }

  /** Persist one Ready's hard state and entries, then let its `after` messages go; never waits. */
  push(hardState: HardState | null, entries: readonly Entry[], after: readonly Message[]): void {
    if (this.dead) return;
    this.stats.pushed++;
    const b = (this.pending ??= { hardState: null, entries: [], after: [] });
    if (hardState !== null) b.hardState = hardState;
    appendReplacing(b.entries, entries);
    for (const m of after) b.after.push(m);
    if (!this.writing) this.next();
  }

  /** Resolve once nothing is in flight or waiting (at once if so). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => this.onIdle(resolve));
  }

  /** Call `fn` once nothing is in flight or waiting (at once if so). */
  onIdle(fn: () => void): void {
    if (this.idle || this.dead) fn();
    else this.idleWaiters.push(fn);
  }

  /** Start the next write, or, when nothing needs one, release what waits. */
  private next(): void {
    const b = this.pending;
    this.pending = null;
    if (b === null || this.dead) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
      return;
    }
    if (!this.mustSync(b)) {
      if (b.hardState !== null) this.unsavedHard = b.hardState;
      // Nothing of this batch needs the disk, and every earlier write resolved.
      this.hooks.durable(b.after, null, null);
      if (!this.writing) this.next();
      return;
    }
    const hardState = b.hardState ?? this.unsavedHard;
    this.writing = true;
    this.stats.saves++;
    this.hooks.save(
      { hardState, entries: b.entries },
      () => {
        if (this.dead) return;
        this.writing = false;
        if (hardState !== null) this.savedHard = hardState;
        this.unsavedHard = null;
        this.hooks.durable(b.after, b.entries.at(-1) ?? null, hardState);
        if (!this.writing) this.next();
      },
      (e) => {
        if (this.dead) return;
        this.dead = true;
        this.writing = false;
        this.pending = null;
        this.hooks.failed(e);
        this.next();
      },
    );
  }

  /** Entries, or a new term or vote, must be durable before dependent messages leave; a commit-only change need not. */
  private mustSync(b: Batch): boolean {
    if (b.entries.length > 0) return true;
    const h = b.hardState;
    return h !== null && (h.term !== this.savedHard.term || h.vote !== this.savedHard.vote);
  }
}

/**
 * Append `more` to `into` as one later save would: entries from
 * `more[0].index` on replace what `into` holds there (a truncation).
 */
function appendReplacing(into: Entry[], more: readonly Entry[]): void {
  const first = more[0];
  if (first === undefined) return;
  const head = into[0];
  if (head !== undefined && first.index <= into[into.length - 1]!.index) into.length = Math.max(0, first.index - head.index);
  for (const e of more) into.push(e);
}
