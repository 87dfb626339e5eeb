/**
 * Waiters of the driver's membership operations: until a configuration is in
 * force, until a learner has caught up, until leadership has moved.
 */
import { ProposalDroppedError, TimeoutError } from '../errors.js';
import type { FullConfig } from './core/confchange.js';
import type { NodeId, SnapshotConfig } from './core/types.js';
import type { Waiter } from './pending.js';

function sameSet(a: ReadonlySet<string> | readonly string[], b: ReadonlySet<string> | readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** Changes waiting for their final (non-joint) configuration to be in force here. */
export class ConfigWaiters {
  private list: { target: FullConfig; index: number; term: number; w: Waiter<SnapshotConfig> }[] = [];

  add(target: FullConfig, index: number, term: number, w: Waiter<SnapshotConfig>): void {
    this.list.push({ target, index, term, w });
  }

  /** A configuration entry applied at (index, term). */
  applied(index: number, term: number, cfg: SnapshotConfig): void {
    this.list = this.list.filter((x) => {
      if (x.index === index && x.term !== term) {
        x.w.reject(new ProposalDroppedError('Another entry was committed where the configuration change was; it was not applied'));
        return false;
      }
      const done = cfg.outgoing.length === 0 && sameSet(cfg.voters, x.target.incoming) && sameSet(cfg.learners, x.target.learners);
      if (done) x.w.resolve(cfg);
      return !done;
    });
  }

  failAll(err: () => Error): void {
    for (const x of this.list) x.w.reject(err());
    this.list = [];
  }

  expire(now: number): void {
    this.list = this.list.filter((x) => {
      if (x.w.deadline > now) return true;
      x.w.reject(new TimeoutError('The configuration change did not complete in time; it may still complete'));
      return false;
    });
  }
}

/** Operations waiting for a member to catch up with a given index. */
export class CatchUpWaiters {
  private list: { id: NodeId; index: number; w: Waiter<void> }[] = [];

  add(id: NodeId, index: number, w: Waiter<void>): void {
    this.list.push({ id, index, w });
  }

  get size(): number {
    return this.list.length;
  }

  /** Settle those whose member's match index reached their target. */
  check(matchOf: (id: NodeId) => number | undefined, now: number): void {
    this.list = this.list.filter((x) => {
      const m = matchOf(x.id);
      if (m !== undefined && m >= x.index) {
        x.w.resolve();
        return false;
      }
      if (x.w.deadline <= now) {
        x.w.reject(new TimeoutError(`${x.id} did not catch up in time`, { definite: true }));
        return false;
      }
      return true;
    });
  }

  failAll(err: () => Error): void {
    for (const x of this.list) x.w.reject(err());
    this.list = [];
  }
}
