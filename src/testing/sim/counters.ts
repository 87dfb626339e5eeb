/**
 * Coverage counters of a simulation: how often the interesting things
 * happened (leader changes, truncations, snapshot installs, …). A sweep in
 * which a required counter stays at zero is not exploring, and fails.
 * @module
 */

/** Counters every sweep must see above zero (see {@link missingCoverage}). */
export const REQUIRED_COVERAGE: readonly string[] = Object.freeze([
  'leaderChanges', 'logTruncations', 'preVoteRejections', 'readIndexWaits', 'snapshotInstalls', 'configChanges', 'crashes', 'restarts',
  'partitions', 'corruptRejected', 'pauses', 'wipes', 'readStates', 'leaseReads', 'clientOk', 'clientFail', 'clientInfo', 'writesQueued',
]);

/** Named counters that only go up. */
export class SimCounters {
  private readonly c = new Map<string, number>();

  /** Add `by` (default 1) to `name`. */
  add(name: string, by = 1): void {
    this.c.set(name, (this.c.get(name) ?? 0) + by);
  }

  /** The value of `name` (0 if never counted). */
  get(name: string): number {
    return this.c.get(name) ?? 0;
  }

  /** Every counter, sorted by name. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.c].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** Sum counter records into `into`. */
export function addCounters(into: Record<string, number>, more: Readonly<Record<string, number>>): Record<string, number> {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** The names in `required` whose total is zero. */
export function missingCoverage(totals: Readonly<Record<string, number>>, required: readonly string[] = REQUIRED_COVERAGE): string[] {
  return required.filter((k) => (totals[k] ?? 0) === 0);
}
