/**
 * The lease table: TTLs in replicated time and the keys attached to each
 * lease. Expiry is never decided here by a clock: the leader proposes a
 * `leaseExpire` command and every replica revokes at the same index.
 * @module
 */

/** One lease. */
export interface Lease {
  /** Id: the Raft index of the grant. */
  readonly id: number;
  /** Time to live, ms. */
  readonly ttlMs: number;
  /** Replicated time of expiry unless kept alive. */
  expiresAt: number;
  /** Keys attached to the lease. */
  readonly keys: Set<string>;
}

export class LeaseTable {
  private readonly leases = new Map<number, Lease>();

  /** Number of leases. */
  get size(): number {
    return this.leases.size;
  }

  get(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  /** Create a lease expiring `ttlMs` after `now`. */
  grant(id: number, ttlMs: number, now: number): Lease {
    const lease: Lease = { id, ttlMs, expiresAt: now + ttlMs, keys: new Set() };
    this.leases.set(id, lease);
    return lease;
  }

  /** Push a lease's expiry to `now + ttl`; undefined if it does not exist. */
  keepAlive(id: number, now: number): Lease | undefined {
    const lease = this.leases.get(id);
    if (lease !== undefined) lease.expiresAt = Math.max(lease.expiresAt, now + lease.ttlMs);
    return lease;
  }

  /** Remove a lease; returns its keys (sorted) for the caller to delete. */
  revoke(id: number): string[] {
    const lease = this.leases.get(id);
    if (lease === undefined) return [];
    this.leases.delete(id);
    return [...lease.keys].sort();
  }

  /** Move `key` from lease `from` to lease `to` (0: none). */
  move(key: string, from: number, to: number): void {
    if (from === to) return;
    if (from !== 0) this.leases.get(from)?.keys.delete(key);
    if (to !== 0) this.leases.get(to)?.keys.add(key);
  }

  /**
   * Ids of leases expired at replicated time `now`, ascending. A lease also
   * has its whole TTL from `since` (when the deciding leader took over).
   */
  expired(now: number, since = Number.NEGATIVE_INFINITY): number[] {
    const out: number[] = [];
    for (const l of this.leases.values()) if (l.expiresAt <= now && since + l.ttlMs <= now) out.push(l.id);
    return out.sort((a, b) => a - b);
  }

  /** Every lease, ascending by id (for snapshots). */
  all(): Lease[] {
    return [...this.leases.values()].sort((a, b) => a.id - b.id);
  }

  /** Replace every lease (restore). */
  load(leases: Iterable<Lease>): void {
    this.leases.clear();
    for (const l of leases) this.leases.set(l.id, l);
  }
}
