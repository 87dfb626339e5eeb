/**
 * Lifeguard local health awareness. A member that misses acks it should have
 * got, or must refute suspicions about itself, is more likely the slow one
 * than its peers; it stretches its own probe timeouts (not its probe interval:
 * see `startProbe`), so its own slowness is not mistaken for the failure of
 * others.
 * @module
 */

/** A health score in [0, max - 1]; 0 is healthy. */
export class Awareness {
  private value = 0;

  /** @param max the largest multiplier (score max - 1 gives a factor of max) */
  constructor(private readonly max: number) {}

  /** The current score. */
  get score(): number {
    return this.value;
  }

  /** Add `delta` (negative to improve), clamped to [0, max - 1]. */
  apply(delta: number): void {
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
  }

  /** Stretch a duration by the score: `ms · (score + 1)`. */
  scale(ms: number): number {
    return ms * (this.value + 1);
  }
}
