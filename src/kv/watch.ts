/**
 * Watches: an async iterator over the store's event log with its own
 * cursor. It holds no buffer of its own, so it can never skip or repeat an
 * event; a watcher that falls behind the compacted revision gets a typed
 * `CompactedError` and can resume from a fresh read.
 * @module
 */
import { CompactedError, InvalidInputError } from '../errors.js';
import { selects, type KeySpace } from './store.js';
import { visibleTo } from './txn.js';
import type { KeySelector, WatchEvent } from './types.js';

/** Options of a watch. */
export interface WatchOptions {
  /** First revision to report (events at or after it). @default the current revision + 1 (only new events) */
  readonly fromRevision?: number;
  /** Ends the watch (the iterator returns `done`). */
  readonly signal?: AbortSignal;
}

/** What a {@link Watcher} reads from: the state machine's key space, restore epoch and change notifications. */
export interface WatchSource {
  keys(): KeySpace;
  epoch(): number;
  subscribe(fn: () => void): () => void;
}

/**
 * An async iterator of {@link WatchEvent}s, in (revision, key) order.
 *
 * @example
 * ```ts
 * for await (const ev of kv.watch({ key: 'jobs/', prefix: true }, { fromRevision: 1 })) {
 *   console.log(ev.type, ev.key, ev.revision);
 * }
 * ```
 */
export class Watcher implements AsyncIterableIterator<WatchEvent> {
  private seq = -1;
  private epoch = -1;
  /** Position (revision, key) of the last event passed over; `lastKey` null before the first. */
  private lastRev = 0;
  private lastKey: string | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;
  private readonly onAbort = (): void => void this.return();

  /** @internal Watchers come from `KvStateMachine.watch` or `KvClient.watch`. */
  constructor(
    private readonly source: WatchSource,
    private readonly sel: KeySelector,
    private readonly fromRevision: number,
    private readonly signal?: AbortSignal,
  ) {
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 1) throw new InvalidInputError(`watch: fromRevision must be a positive integer, got ${String(fromRevision)}`);
    this.unsubscribe = source.subscribe(() => this.notify());
    signal?.addEventListener('abort', this.onAbort);
    if (signal?.aborted === true) this.close();
  }

  /** The watcher is its own iterator, so `for await (const ev of watcher)` works. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next matching event; waits for one if none is there yet. */
  async next(): Promise<IteratorResult<WatchEvent>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      const ev = this.take();
      if (ev !== undefined) return { done: false, value: ev };
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Stop watching. */
  return(): Promise<IteratorResult<WatchEvent>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.signal?.removeEventListener('abort', this.onAbort);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The next matching event present in the log, or undefined. Throws `CompactedError`. */
  private take(): WatchEvent | undefined {
    const keys = this.source.keys();
    this.position(keys);
    for (;;) {
      if (this.seq < keys.firstSeq) throw this.compacted(keys);
      const key = keys.eventKey(this.seq);
      if (key === undefined) return undefined;
      const seq = this.seq++;
      this.lastRev = keys.eventRevision(seq)!;
      this.lastKey = key;
      if (selects(this.sel, key) && visibleTo(this.sel, key)) return keys.eventAt(seq);
    }
  }

  /** (Re)compute the cursor on first use and after a restore replaced the log. */
  private position(keys: KeySpace): void {
    if (this.epoch === this.source.epoch()) return;
    this.epoch = this.source.epoch();
    if (this.lastKey === null) {
      if (this.fromRevision <= keys.compactRevision) throw this.compacted(keys);
      this.seq = keys.seqOfRevision(this.fromRevision);
    } else {
      // After a restore, events at or below the new compacted revision may be ones this watcher never saw.
      if (this.lastRev <= keys.compactRevision) throw this.compacted(keys);
      this.seq = keys.seqAfter(this.lastRev, this.lastKey);
    }
  }

  private compacted(keys: KeySpace, rev = this.lastKey === null ? this.fromRevision : this.lastRev): CompactedError {
    this.close();
    return new CompactedError(rev, keys.compactRevision);
  }
}
