/**
 * The members table: one row per known member (state, incarnation, address,
 * metadata, when its state last changed, and the local change sequence used
 * by anti-entropy). Rows live in typed arrays indexed by an interned member
 * number, so a 10,000-member simulation (10,000 tables of 10,000 rows) fits
 * in memory: about 17 bytes a row instead of a few hundred for objects.
 * @module
 */
import { IntList } from './int-list.js';

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

  /** The number for `id`, assigning the next one if new. */
  intern(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.names.length;
      this.index.set(id, i);
      this.names.push(id);
    }
    return i;
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
  private readonly metas = new Map<number, Uint8Array>();
  /** Indices of known members, in the order they became known. */
  readonly known = new IntList();
  private live = 0;
  private seqCounter = 0;

  constructor(readonly ids: IdInterner) {}

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
    if (prev !== state) this.changedAt[i] = now;
    this.st[i] = state;
    this.inc[i] = incarnation;
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

  /** Forget `i` entirely (a dead member past its reconnect period). */
  forget(i: number): void {
    if (this.isLive(i)) this.live--;
    this.st[i] = 0;
    this.inc[i] = 0;
    this.addr.delete(i);
    this.metas.delete(i);
    this.known.remove(i);
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
    let n = this.st.length;
    while (n <= i) n *= 2;
    // Ids the (possibly shared) interner already knows will come: size for them at once.
    if (this.ids.size > i && this.ids.size < n) n = this.ids.size;
    this.inc = copyInto(new Uint32Array(n), this.inc);
    this.st = copyInto(new Uint8Array(n), this.st);
    this.changedAt = copyInto(new Float64Array(n), this.changedAt);
    this.changeSeq = copyInto(new Uint32Array(n), this.changeSeq);
  }
}

function copyInto<T extends Uint8Array | Uint32Array | Float64Array>(dst: T, src: T): T {
  dst.set(src as never);
  return dst;
}

/** The state name of a numeric code. */
export function stateName(code: number): MemberState {
  return NAMES[code] ?? 'dead';
}
