/**
 * Lifeguard suspicion maths: a suspicion timer that starts long and shrinks
 * as independent members confirm the suspicion. One slow prober alone then
 * cannot kill a healthy member quickly, while a truly dead member, suspected
 * by many, is declared dead nearly as fast as plain SWIM would.
 * @module
 */

/**
 * The minimum suspicion timeout: `mult · log10(max(n, 10)) · probeIntervalMs`.
 * It grows with the log of the cluster size because the suspicion needs about
 * log(n) gossip rounds to reach the suspect, who must get the chance to refute.
 */
export function minSuspicionTimeout(mult: number, n: number, probeIntervalMs: number): number {
  return mult * Math.log10(Math.max(n, 10)) * probeIntervalMs;
}

/**
 * The timeout after `confirmations` independent confirmations, out of `k`
 * expected: it falls from `max` to `min` logarithmically, so the first
 * confirmations count most (each is strong evidence the suspect is gone).
 */
export function suspicionTimeout(confirmations: number, k: number, min: number, max: number): number {
  if (k < 1) return min;
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  return Math.max(min, Math.floor(max - (max - min) * frac));
}

/**
 * The share of the members hearing of a suspicion that check the suspect
 * themselves at once: enough for about 4k checkers among the `n - 2` who
 * could (neither the suspect nor its accuser), so k confirmations come back
 * within a few probe intervals even at 20% loss, and no more: each failed
 * check of a dead member also costs the checker awareness at loss (missing
 * nacks) and sends a ping-req round, so every member checking every suspect
 * after a mass crash would slow down the whole cluster's probing.
 */
export function checkShare(k: number, n: number): number {
  if (k < 1) return 0;
  return Math.min(1, (4 * k) / Math.max(1, n - 2));
}

/** One running suspicion of one member: who confirmed it and when it expires. */
export class Suspicion {
  private readonly confirmers = new Set<string>();
  /** Whether this member is to check the suspect itself, as soon as it probes next (see {@link Suspicion.wantsProbe}); cleared once it has. */
  willCheck = false;
  /** Whether this member is to probe the suspect again before it may declare it dead (its timer ran out while its own health was poor). */
  recheck = false;
  /** Whether that second probe was already asked for (it is, at most once per suspicion). */
  rechecked = false;
  /** Whether a probe of ours failed with every relay nacking after the timer ran out unconfirmed. */
  relaysNacked = false;

  /**
   * @param by the member whose suspicion started it (not counted as a confirmation)
   * @param k confirmations expected before the timeout reaches `min`
   * @param startedAt when it started (ms)
   */
  constructor(
    /** Who started the suspicion (its accuser). */
    readonly by: string,
    private readonly k: number,
    private readonly min: number,
    private readonly max: number,
    readonly startedAt: number,
  ) {
    this.confirmers.add(by);
  }

  /**
   * Whether the suspicion may turn into a death when its timer runs out: a
   * lone accuser is not enough while anyone else could confirm (k ≥ 1). A
   * member with a bad inbound link suspects everyone and hears no
   * refutations; without this rule it would kill healthy members one by one.
   */
  get canExpire(): boolean {
    return this.k === 0 || this.confirmations > 0;
  }

  /** Longest timeout (no confirmations). */
  get maxTimeout(): number {
    return this.max;
  }

  /** Number of independent confirmations so far (excluding the starter). */
  get confirmations(): number {
    return this.confirmers.size - 1;
  }

  /**
   * Whether this member, which heard of the suspicion from someone else,
   * should probe the suspect next instead of its next round-robin target:
   * it was picked to check (see {@link checkShare}), has not yet, and fewer
   * than k confirmations are known. Its probe is an independent check — a
   * failure is a confirmation, an ack leads to a buddy notice the suspect
   * refutes — and it replaces a probe rather than adding one. Without it,
   * confirmations wait for the suspect's turn in others' round-robin orders
   * (about one a probe interval cluster-wide), and the accuser often lacks
   * k of them when the minimum timeout has passed.
   */
  wantsProbe(self: string): boolean {
    return this.willCheck && this.by !== self && this.confirmations < this.k;
  }

  /** Record a confirmation from `by`; returns true if it was new (so worth re-gossiping). */
  confirm(by: string): boolean {
    if (this.confirmations >= this.k || this.confirmers.has(by)) return false;
    this.confirmers.add(by);
    return true;
  }

  /** When the suspect is to be declared dead unless it refutes. */
  deadline(): number {
    return this.startedAt + suspicionTimeout(this.confirmations, this.k, this.min, this.max);
  }
}
