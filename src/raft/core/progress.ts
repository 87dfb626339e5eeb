/**
 * The leader's view of one follower's log: how far it matches (`match`),
 * what to send next (`next`) and how: `probe` sends one append at a time
 * until the follower's position is found; `replicate` streams appends
 * optimistically, bounded by the {@link Inflights} window.
 */
import { Inflights } from './inflights.js';

/** Replication state of one follower. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and no answer came back yet. */
  probeSent = false;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Heard from in the CheckQuorum round before (so "recent" never means "in the last few ticks"). */
  activeBefore = false;
  /** A learner never counts for commit or elections. */
  isLearner: boolean;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** In snapshot state: bytes sent and acknowledged, and the tick of the last acknowledgement. */
  snapSent = 0;
  snapAcked = 0;
  snapLastAckTick = 0;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, maxInflightBytes: number, isLearner = false) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  /** Go back to probing from `match + 1` (after a snapshot that was installed: from past it). */
  becomeProbe(snapshotAborted = false): void {
    if (this.state === 'snapshot' && !snapshotAborted) {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  /** Start streaming optimistically after `match`. */
  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  /** Start sending a snapshot at `index`. */
  becomeSnapshot(index: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = index;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapSent = 0;
    this.snapAcked = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** Whether the leader should hold back appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Bookkeeping after sending entries whose last index is `lastIndex`. */
  sentEntries(lastIndex: number, bytes: number): void {
    if (this.state === 'replicate') {
      this.next = lastIndex + 1;
      this.inflights.add(lastIndex, bytes);
    } else {
      this.probeSent = true;
    }
  }

  /** An acknowledgement up to `n`; returns whether `match` moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of an append at `rejected`; `matchHint` is where the logs
   * may agree. Returns false if the rejection is stale and was ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Stale: we already know the follower matches at or past it.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe state only the answer to the last probe counts.
    if (this.next - 1 !== rejected) return false;
    // At or below match: the follower lost entries it acknowledged (a replaced disk). Probing again at
    // once would storm; the next heartbeat response retries.
    if (rejected <= this.match) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }
}
