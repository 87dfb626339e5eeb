/**
 * `LeaseExpirer`: the leader's side of lease expiry. Replicas never expire
 * leases by their own clocks; the leader looks for leases past their expiry
 * in replicated time and proposes one `leaseExpire` command, so every
 * replica deletes the keys at the same index.
 * @module
 */
import { realClock, type Clock, type TimerHandle } from '../clock.js';
import { encodeKvCommand } from '../codec/kv.js';
import { expectedGot } from '../errors.js';
import type { Role } from '../raft/core/types.js';
import type { RaftNode } from '../raft/node.js';
import { KvStateMachine } from './state-machine.js';
import type { KvResult } from './types.js';

/** Options of a {@link LeaseExpirer}. */
export interface LeaseExpirerOptions {
  /** The clock whose `now()` stamps expiry commands (use the node's). @default realClock() */
  clock?: Clock;
  /** How often to look for expired leases, ms. @default 250 */
  intervalMs?: number;
}

/** Defaults of {@link LeaseExpirerOptions}. */
export const LEASE_EXPIRER_DEFAULTS: Readonly<Required<Pick<LeaseExpirerOptions, 'intervalMs'>>> = Object.freeze({ intervalMs: 250 });

/**
 * Run one on every node that can become leader; only the current leader
 * proposes. A node that has just become leader gives every lease its whole
 * TTL from that moment before expiring it, as etcd does: keep-alives sent
 * while there was no leader could not land.
 *
 * @example
 * ```ts
 * const expirer = new LeaseExpirer(node, { clock });
 * expirer.start();
 * // ...
 * expirer.stop();
 * ```
 */
export class LeaseExpirer {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private timer: TimerHandle | null = null;
  private busy = false;
  /** Expiry commands proposed so far (for status and tests). */
  proposed = 0;
  /** When this node last became leader (on this expirer's clock). */
  private leaderSince = Number.NEGATIVE_INFINITY;
  private readonly onRole = (role: Role): void => {
    if (role === 'leader') this.leaderSince = this.clock.now();
  };

  constructor(
    private readonly node: RaftNode<KvResult>,
    options: LeaseExpirerOptions = {},
  ) {
    if (!(node.stateMachine instanceof KvStateMachine)) throw expectedGot('node', 'a RaftNode with a KvStateMachine', typeof node.stateMachine);
    this.clock = options.clock ?? realClock();
    this.intervalMs = options.intervalMs ?? LEASE_EXPIRER_DEFAULTS.intervalMs;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs <= 0) throw expectedGot('intervalMs', 'a positive number', this.intervalMs);
  }

  /** Start checking. Idempotent. */
  start(): void {
    if (this.timer !== null) return;
    // Leading already: since when is unknown here, so count from now (at worst one TTL late).
    if (this.node.isLeader) this.leaderSince = this.clock.now();
    this.node.on('roleChange', this.onRole);
    this.arm();
  }

  /** Stop checking. */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.node.off('roleChange', this.onRole);
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      void this.check();
      this.arm();
    }, this.intervalMs);
  }

  /** Propose expiry of every lease past its time, if this node leads. Resolves with the ids proposed. */
  async check(): Promise<number[]> {
    if (this.busy || !this.node.isLeader) return [];
    const now = this.clock.now();
    const ids = (this.node.stateMachine as KvStateMachine).expiredLeases(now, this.leaderSince);
    if (ids.length === 0) return [];
    this.busy = true;
    try {
      this.proposed++;
      await this.node.propose(encodeKvCommand({ ts: now, session: 0, seq: 0, ack: 0 }, { type: 'leaseExpire', ids }));
    } catch {
      // Lost leadership or no quorum: the next leader will find the same leases expired.
    } finally {
      this.busy = false;
    }
    return ids;
  }
}
