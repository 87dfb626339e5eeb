/**
 * A rolling hash over a run's events, for the determinism self-test: run a
 * seed twice, compare the hashes; if they differ, rerun with history kept and
 * {@link firstDivergence} names the first event that differed.
 * @module
 */

/** A field of a trace event. Arrays nest; `undefined` and `null` are distinct. */
export type TraceValue = string | number | boolean | null | undefined | Uint8Array | readonly TraceValue[];

/** Options of a {@link TraceHasher}. */
export interface TraceHasherOptions {
  /** Keep the rolling hash after every event (8 bytes each), for {@link firstDivergence}. @default false */
  keepHistory?: boolean;
  /** Keep the text of the last this-many events, for reports. @default 0 */
  keepLast?: number;
}

// Type tags fed before each value, so ['ab'] and ['a', 'b'], 1 and '1', differ.
const TAG = { str: 1, num: 2, true: 3, false: 4, null: 5, undef: 6, bytes: 7, arr: 8, event: 9 } as const;

/** One murmur3 round: mixes a 32-bit word into a 32-bit lane. */
function mix(h: number, w: number): number {
  w = Math.imul(w, 0xcc9e2d51);
  w = (w << 15) | (w >>> 17);
  h ^= Math.imul(w, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finalizer, so every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// A DataView with explicit endianness, so a hash is the same on every platform.
const numberView = new DataView(new ArrayBuffer(8));

/**
 * Appends events and keeps a 64-bit rolling hash of all of them (two
 * independent 32-bit lanes), in order: the same events in the same order give
 * the same hash; anything else almost surely does not.
 *
 * @example
 * ```ts
 * const trace = new TraceHasher();
 * trace.append('deliver', loop.now, from, to, msg.type);
 * console.log(trace.hash); // e.g. '3f2a9c0b71d4e8a2'
 * ```
 */
export class TraceHasher {
  private a = 0x2545f491;
  private b = 0x9e3779b9 | 0;
  private n = 0;
  private readonly history: number[] | null;
  private readonly lastEvents: string[] = [];
  private readonly keepLast: number;

  constructor(options: TraceHasherOptions = {}) {
    this.history = options.keepHistory === true ? [] : null;
    this.keepLast = options.keepLast ?? 0;
  }

  /** Append one event made of `fields`. */
  append(...fields: TraceValue[]): void {
    this.word(TAG.event);
    this.word(fields.length);
    for (const f of fields) this.value(f);
    this.n++;
    this.history?.push(this.a, this.b);
    if (this.keepLast > 0) {
      this.lastEvents.push(fields.map(render).join(' '));
      if (this.lastEvents.length > this.keepLast) this.lastEvents.shift();
    }
  }

  /** How many events were appended. */
  get count(): number {
    return this.n;
  }

  /** The hash of everything appended so far, as 16 hex digits. */
  get hash(): string {
    return hashAt(this.a, this.b, this.n);
  }

  /** The hash after event `index` (0-based); requires `keepHistory`. */
  hashAfter(index: number): string {
    if (this.history === null) throw new Error('TraceHasher: hashAfter needs { keepHistory: true }');
    return hashAt(this.history[2 * index]!, this.history[2 * index + 1]!, index + 1);
  }

  /** The text of the last events kept (`keepLast`), oldest first. */
  recent(): readonly string[] {
    return this.lastEvents;
  }

  private word(w: number): void {
    this.a = mix(this.a, w);
    this.b = mix(this.b, w ^ 0x5bd1e995);
  }

  private value(v: TraceValue): void {
    if (typeof v === 'string') {
      this.word(TAG.str);
      this.word(v.length);
      for (let i = 0; i < v.length; i++) this.word(v.charCodeAt(i));
    } else if (typeof v === 'number') {
      this.word(TAG.num);
      numberView.setFloat64(0, v, true);
      this.word(numberView.getUint32(0, true));
      this.word(numberView.getUint32(4, true));
    } else if (typeof v === 'boolean') this.word(v ? TAG.true : TAG.false);
    else if (v === null) this.word(TAG.null);
    else if (v === undefined) this.word(TAG.undef);
    else if (v instanceof Uint8Array) {
      this.word(TAG.bytes);
      this.word(v.length);
      for (let i = 0; i < v.length; i++) this.word(v[i]!);
    } else {
      this.word(TAG.arr);
      this.word(v.length);
      for (const x of v) this.value(x);
    }
  }
}

function hashAt(a: number, b: number, n: number): string {
  const hi = fmix(a ^ Math.imul(n, 0x27d4eb2d));
  const lo = fmix(b ^ hi);
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

function render(v: TraceValue): string {
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return `[${(v as readonly TraceValue[]).map(render).join(',')}]`;
  return typeof v === 'string' ? v : String(v);
}

/**
 * The index of the first event after which two traces' hashes differ, or -1 if
 * they agree on every event of both (requires `keepHistory` on both). A
 * shorter trace that agrees with a longer one's prefix diverges at its length.
 */
export function firstDivergence(x: TraceHasher, y: TraceHasher): number {
  const n = Math.min(x.count, y.count);
  // Binary search works because a rolling hash, once different, stays different (barring a collision).
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x.hashAfter(mid) === y.hashAfter(mid)) lo = mid + 1;
    else hi = mid;
  }
  if (lo < n) return lo;
  return x.count === y.count ? -1 : n;
}
