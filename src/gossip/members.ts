/**
 * The members table: one row per known member (state, incarnation, address,
 * metadata, when its state last changed, and the local change sequence used
 * by anti-entropy). Rows live in typed arrays indexed by an interned member
 * number, so a 10,000-member simulation (10,000 tables of 10,000 rows) fits
 * in memory: about 17 bytes a row instead of a few hundred for objects.
 * @module
 */
import { DIGEST_FANOUT } from '../codec/gossip.js';
import { IntList } from './int-list.js';
import { ProbeRing } from './ring.js';

/** A member's state. Order matters: at one incarnation a later state wins. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** Numeric state codes of the table; 0 means "not known". */
export const ALIVE = 1;
export const SUSPECT = 2;
export const DEAD = 3;
export const LEFT = 4;
const NAMES: readonly MemberState[] = ['alive', 'alive', 'suspect', 'dead', 'left'];

/** A snapshot of one member, as events and `members()` report it. */
export interface MemberInfo {
  /** The member's id. */
  readonly id: string;
  /** Where it is reached. */
  readonly address: string;
  /** Its incarnation: only the member raises it (to refute, or to publish new metadata). */
  readonly incarnation: number;
  /** Its state in this member's view. */
  readonly state: MemberState;
  /** Its metadata. */
  readonly meta: Uint8Array;
  /** When (core time, ms) its state last changed in this view. */
  readonly stateChangedAt: number;
}

/**
 * Maps member ids to small integers. Simulations share one interner among
 * all cores (ids are the same strings everywhere); a real node has its own.
 */
export class IdInterner {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private hashes = new Uint32Array(16);

  /** The number for `id`, assigning the next one if new. */
  intern(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.names.length;
      this.index.set(id, i);
      this.names.push(id);
      if (i === this.hashes.length) this.hashes = copyInto(new Uint32Array(i * 2), this.hashes);
      this.hashes[i] = hashString(id);
    }
    return i;
  }

  /** A 32-bit hash of the id of number `i` (the same in every process: it places the row in the digest). */
  hashOf(i: number): number {
    return this.hashes[i]!;
  }

  /** The number for `id` if it has one. */
  lookup(id: string): number | undefined {
    return this.index.get(id);
  }

  /** The id of number `i`. */
  idOf(i: number): string {
    return this.names[i]!;
  }

  /** How many ids are interned. */
  get size(): number {
    return this.names.length;
  }
}

const EMPTY = new Uint8Array(0);

/** The table itself. Merge rules live in the core; this is storage and counting. */
export class MemberTable {
  private inc = new Uint32Array(16);
  private st = new Uint8Array(16);
  private changedAt = new Float64Array(16);
  private changeSeq = new Uint32Array(16);
  private readonly addr = new Map<number, string>();
  /** XOR of the row hashes (and key/value mixes) in each digest leaf, kept up to date on every write. */
  private readonly leaves = new Uint32Array(DIGEST_LEAVES);
  private readonly metas = new Map<number, Uint8Array>();
  /** Indices of known members, in the order they became known. */
  readonly known = new IntList();
  /**
   * Known members that are dead or left: where reconnect pings and syncs look
   * (a healed partition), picked from directly because one dead member among
   * thousands is rarely hit by sampling the known list.
   */
  readonly down = new IntList();
  /** The live members (alive or suspect) in probe-ring order (see ring.ts). */
  readonly ring: ProbeRing;
  private live = 0;
  private seqCounter = 0;

  constructor(readonly ids: IdInterner) {
    this.ring = new ProbeRing(ids);
  }

  /** Number of alive or suspect members (the "n" of the timeouts and budget). */
  get liveCount(): number {
    return this.live;
  }

  /** The latest local change sequence. */
  get seq(): number {
    return this.seqCounter;
  }

  /** Raw state code of `i` (0 if unknown). */
  state(i: number): number {
    return i < this.st.length ? this.st[i]! : 0;
  }

  /** Incarnation of `i`. */
  incarnation(i: number): number {
    return i < this.inc.length ? this.inc[i]! : 0;
  }

  /** Address of `i` (its id unless told otherwise). */
  address(i: number): string {
    return this.addr.get(i) ?? this.ids.idOf(i);
  }

  /** Metadata of `i`. */
  meta(i: number): Uint8Array {
    return this.metas.get(i) ?? EMPTY;
  }

  /** When the state of `i` last changed. */
  changedAtOf(i: number): number {
    return this.changedAt[i] ?? 0;
  }

  /** Local change sequence of `i`'s row. */
  changeSeqOf(i: number): number {
    return this.changeSeq[i] ?? 0;
  }

  /** Whether `i` counts as live (alive or suspect). */
  isLive(i: number): boolean {
    const s = this.state(i);
    return s === ALIVE || s === SUSPECT;
  }

  /** Write a row; returns true if it was unknown before. */
  set(i: number, state: number, incarnation: number, now: number): boolean {
    this.grow(i);
    const prev = this.st[i]!;
    const wasLive = prev === ALIVE || prev === SUSPECT;
    const isLive = state === ALIVE || state === SUSPECT;
    this.live += (isLive ? 1 : 0) - (wasLive ? 1 : 0);
    if (isLive && !wasLive) this.ring.add(i);
    else if (wasLive && !isLive) this.ring.remove(i);
    if (isLive && prev !== 0 && !wasLive) this.down.remove(i);
    else if (!isLive && (prev === 0 || wasLive)) this.down.push(i);
    if (prev !== state) this.changedAt[i] = now;
    if (prev !== 0) this.mix(i, this.rowHash(i));
    this.st[i] = state;
    this.inc[i] = incarnation;
    this.mix(i, this.rowHash(i));
    this.touch(i);
    if (prev === 0) this.known.push(i);
    return prev === 0;
  }

  /** Record a new address (omitting it when equal to the id, which is the common case). */
  setAddress(i: number, address: string): void {
    if (address === this.ids.idOf(i)) this.addr.delete(i);
    else this.addr.set(i, address);
  }

  /** Record new metadata. */
  setMeta(i: number, meta: Uint8Array): void {
    if (meta.byteLength === 0) this.metas.delete(i);
    else this.metas.set(i, meta);
  }

  /** Bump the change sequence of `i` (its row must be re-sent by anti-entropy). */
  touch(i: number): void {
    this.changeSeq[i] = this.nextSeq();
  }

  /** Take the next local change sequence (key/value entries share the counter). */
  nextSeq(): number {
    return ++this.seqCounter;
  }

  /**
   * Make this table a copy of `src`'s rows (both must share one interner):
   * states, incarnations, change times and sequences, digest leaves and the
   * known list. Addresses and metadata are not copied (the caller re-sets
   * any it needs). A simulator fills 10,000 identical tables this way with
   * a memory copy each instead of 10,000 row writes each.
   * @internal
   */
  copyRowsFrom(src: MemberTable): void {
    // In place when ours is as large (it usually is: see grow), so no new buffers.
    if (this.st.length < src.st.length) {
      this.inc = new Uint32Array(src.st.length);
      this.st = new Uint8Array(src.st.length);
      this.changedAt = new Float64Array(src.st.length);
      this.changeSeq = new Uint32Array(src.st.length);
    } else for (const a of [this.inc, this.st, this.changedAt, this.changeSeq]) a.fill(0);
    this.inc.set(src.inc);
    this.st.set(src.st);
    this.changedAt.set(src.changedAt);
    this.changeSeq.set(src.changeSeq);
    this.leaves.set(src.leaves);
    this.known.copyFrom(src.known);
    this.down.copyFrom(src.down);
    this.ring.copyFrom(src.ring);
    this.live = src.live;
    this.seqCounter = src.seqCounter;
  }

  /** Forget `i` entirely (a dead member past its reconnect period). */
  forget(i: number): void {
    if (this.state(i) === 0) return;
    if (this.isLive(i)) {
      this.live--;
      this.ring.remove(i);
    } else this.down.remove(i);
    this.mix(i, this.rowHash(i));
    this.st[i] = 0;
    this.inc[i] = 0;
    this.addr.delete(i);
    this.metas.delete(i);
    this.known.remove(i);
  }

  /** The digest leaf of member `i` (by its id hash, so the same everywhere). */
  leafOf(i: number): number {
    return this.ids.hashOf(i) >>> (32 - DIGEST_LEAF_BITS);
  }

  /** XOR `h` into the digest leaf of `i` (rows, and key/value entries of owner `i`). */
  mix(i: number, h: number): void {
    const leaf = this.leafOf(i);
    this.leaves[leaf] = this.leaves[leaf]! ^ h;
  }

  /** The hash of digest leaf `leaf`. */
  leafHash(leaf: number): number {
    return this.leaves[leaf]!;
  }

  /** The hash of top bucket `top`: the XOR of its leaves. */
  topHash(top: number): number {
    let h = 0;
    for (let k = top * DIGEST_FANOUT, end = k + DIGEST_FANOUT; k < end; k++) h ^= this.leaves[k]!;
    return h >>> 0;
  }

  private rowHash(i: number): number {
    return fmix32(this.ids.hashOf(i) ^ fmix32(Math.imul(this.inc[i]!, 8) ^ this.st[i]! ^ (Math.floor(this.inc[i]! / 0x2000_0000) << 3)));
  }

  /** A public snapshot of `i`. */
  info(i: number): MemberInfo {
    return {
      id: this.ids.idOf(i),
      address: this.address(i),
      incarnation: this.incarnation(i),
      state: NAMES[this.state(i)]!,
      meta: this.meta(i),
      stateChangedAt: this.changedAtOf(i),
    };
  }

  private grow(i: number): void {
    if (i < this.st.length) return;
    // Geometric growth (members learned one by one cost O(1) each), and room at once for every id
    // the (possibly shared) interner knows plus an eighth: they will come, and a simulator's
    // 10,000 tables then grow once each, not again for every member that joins later.
    let n = Math.max(Math.ceil(this.st.length * 1.5), i + 1);
    if (this.ids.size > i) n = Math.max(n, this.ids.size + (this.ids.size >> 3));
    this.inc = copyInto(new Uint32Array(n), this.inc);
    this.st = copyInto(new Uint8Array(n), this.st);
    this.changedAt = copyInto(new Float64Array(n), this.changedAt);
    this.changeSeq = copyInto(new Uint32Array(n), this.changeSeq);
  }
}

/**
 * Number of digest leaves. The anti-entropy digest is a two-level hash tree over the rows, placed by
 * the hash of their id: `DIGEST_FANOUT` top buckets of `DIGEST_FANOUT`
 * leaves each. Each leaf's hash is the XOR of its rows' hashes, kept up to
 * date on every write, so a digest costs nothing to build.
 */
export const DIGEST_LEAVES = DIGEST_FANOUT * DIGEST_FANOUT;
const DIGEST_LEAF_BITS = Math.log2(DIGEST_LEAVES);

/** Murmur3's 32-bit finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 units, finalized. */
export function hashString(s: string): number {
  let h = 0x811c_9dc5;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x0100_0193);
  return fmix32(h);
}

function copyInto<T extends Uint8Array | Uint32Array | Float64Array>(dst: T, src: T): T {
  dst.set(src as never);
  return dst;
}

/** The state name of a numeric code. */
export function stateName(code: number): MemberState {
  return NAMES[code] ?? 'dead';
}
