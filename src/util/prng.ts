/**
 * A small, fast, seeded pseudo-random generator (xoshiro128**), so a seed
 * replays one history exactly. Cores never call `Math.random()`; they are
 * given one of these.
 * @module
 */

/** A seeded source of randomness. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** An independent generator derived from this one's seed and a label (does not advance this one). */
  fork(label: string): Prng;
}

function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32: spreads one 32-bit seed into well-mixed state words. */
function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return t >>> 0;
  };
}

class Xoshiro128 implements Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(private readonly seed: number) {
    const mix = splitmix32(seed);
    this.a = mix(); this.b = mix(); this.c = mix(); this.d = mix();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  private nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r >>> 0;
  }

  next(): number {
    return this.nextU32() / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  fork(label: string): Prng {
    return new Xoshiro128(hashString(label, this.seed ^ 0x5bd1e995));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Create a seeded generator. Strings are hashed to a 32-bit seed.
 *
 * @example
 * ```ts
 * const rng = createPrng(42);
 * rng.int(6); // the same value every run
 * ```
 */
export function createPrng(seed: number | string): Prng {
  const s = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
  return new Xoshiro128(s);
}
