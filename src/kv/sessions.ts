/**
 * Client sessions for exactly-once commands (Raft dissertation §6.3): each
 * session remembers the results of the sequence numbers its client has not
 * acknowledged yet, so a retried command returns the recorded result instead
 * of applying twice. Sessions expire by replicated time, identically on
 * every replica.
 * @module
 */

/** One client session. */
export interface Session {
  /** Id: the Raft index of the `sessionOpen` command. */
  readonly id: number;
  /** Replicated time of the last command in this session. */
  lastActive: number;
  /** Every sequence number below this was acknowledged by the client; results below are forgotten. */
  ackBelow: number;
  /** Results by sequence number, for sequence numbers >= `ackBelow`. */
  readonly results: SessionResults;
}

/**
 * A session's remembered results by sequence number, in ascending order: a
 * client has few commands in flight, so two short arrays beat a hash map
 * (a command costs no hashing, and forgetting the acknowledged ones frees
 * no table). Iterates as `[seq, result]` pairs, as a `Map` would.
 */
export class SessionResults {
  private readonly seqs: number[] = [];
  private readonly vals: unknown[] = [];

  get size(): number {
    return this.seqs.length;
  }

  /** Position of `seq`, or -1. */
  private find(seq: number): number {
    const a = this.seqs;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length && a[lo] === seq ? lo : -1;
  }

  has(seq: number): boolean {
    return this.find(seq) >= 0;
  }

  get(seq: number): unknown {
    const i = this.find(seq);
    return i < 0 ? undefined : this.vals[i];
  }

  /** Remember (or replace) the result of `seq`. */
  set(seq: number, result: unknown): void {
    const a = this.seqs;
    let i = a.length;
    while (i > 0 && a[i - 1]! > seq) i--; // sequence numbers arrive in order: usually no step at all
    if (i > 0 && a[i - 1] === seq) this.vals[i - 1] = result;
    else if (i === a.length) {
      a.push(seq);
      this.vals.push(result);
    } else {
      a.splice(i, 0, seq);
      this.vals.splice(i, 0, result);
    }
  }

  /** Forget every result of a sequence number below `ack`. */
  dropBelow(ack: number): void {
    const a = this.seqs;
    let n = 0;
    while (n < a.length && a[n]! < ack) n++;
    if (n === 0) return;
    if (n === 1) {
      a.shift();
      this.vals.shift();
    } else {
      a.splice(0, n);
      this.vals.splice(0, n);
    }
  }

  *[Symbol.iterator](): IterableIterator<[number, unknown]> {
    for (let i = 0; i < this.seqs.length; i++) yield [this.seqs[i]!, this.vals[i]];
  }
}

/**
 * What a session says about an incoming command: new (the session is
 * {@link SessionTable.current}), a duplicate (its result is
 * {@link SessionTable.duplicate}), or refused.
 */
export type SessionCheck = 'new' | 'duplicate' | 'unknown' | 'acknowledged' | 'full';

/** Most results one session keeps at once (the client's in-flight commands). */
export const MAX_SESSION_RESULTS = 4096;

/** A session's place in the table's activity order (a doubly linked list: touching one is O(1), with no map writes). */
interface Slot {
  readonly s: Session;
  older: Slot | null;
  newer: Slot | null;
}

export class SessionTable {
  private readonly byId = new Map<number, Slot>();
  /** Least and most recently active (replicated time only grows, so moving a touched session to the end keeps the order). */
  private oldest: Slot | null = null;
  private newest: Slot | null = null;
  /** The session of the last `new` check (valid until the next check). */
  current: Session | null = null;
  /** The recorded result of the last `duplicate` check. */
  duplicate: unknown = undefined;

  get size(): number {
    return this.byId.size;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  open(id: number, now: number): void {
    this.close(id);
    this.append({ id, lastActive: now, ackBelow: 0, results: new SessionResults() });
  }

  close(id: number): boolean {
    const slot = this.byId.get(id);
    if (slot === undefined) return false;
    this.unlink(slot);
    this.byId.delete(id);
    return true;
  }

  private append(s: Session): void {
    const slot: Slot = { s, older: this.newest, newer: null };
    if (this.newest === null) this.oldest = slot;
    else this.newest.newer = slot;
    this.newest = slot;
    this.byId.set(s.id, slot);
  }

  private unlink(slot: Slot): void {
    if (slot.older === null) this.oldest = slot.newer;
    else slot.older.newer = slot.newer;
    if (slot.newer === null) this.newest = slot.older;
    else slot.newer.older = slot.older;
    slot.older = null;
    slot.newer = null;
  }

  /** Look a command up: new, a duplicate, or refused. Touches the session. Allocates nothing. */
  check(id: number, seq: number, ack: number, now: number): SessionCheck {
    const slot = this.byId.get(id);
    if (slot === undefined) return 'unknown';
    if (slot !== this.newest) {
      this.unlink(slot);
      slot.older = this.newest;
      this.newest!.newer = slot;
      this.newest = slot;
    }
    const s = slot.s;
    s.lastActive = now;
    if (ack > s.ackBelow) {
      s.results.dropBelow(ack);
      s.ackBelow = ack;
    }
    if (s.results.has(seq)) {
      this.duplicate = s.results.get(seq);
      return 'duplicate';
    }
    if (seq < s.ackBelow) return 'acknowledged';
    if (s.results.size >= MAX_SESSION_RESULTS) return 'full';
    this.current = s;
    return 'new';
  }

  /** Drop sessions idle for `ttlMs` or more at replicated time `now`. */
  expire(now: number, ttlMs: number): void {
    while (this.oldest !== null && this.oldest.s.lastActive + ttlMs <= now) this.close(this.oldest.s.id);
  }

  /** Every session, least recently active first (for snapshots). */
  all(): Session[] {
    const out: Session[] = [];
    for (let x = this.oldest; x !== null; x = x.newer) out.push(x.s);
    return out;
  }

  /** Replace every session (restore), given least recently active first. */
  load(sessions: Iterable<Session>): void {
    this.byId.clear();
    this.oldest = null;
    this.newest = null;
    this.current = null;
    this.duplicate = undefined;
    for (const s of sessions) {
      this.close(s.id);
      this.append(s);
    }
  }
}
