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
  readonly results: Map<number, unknown>;
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
    this.append({ id, lastActive: now, ackBelow: 0, results: new Map() });
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
      const r = s.results;
      // Few acknowledged numbers (the usual case): delete them one by one instead of walking every key.
      if (ack - s.ackBelow <= r.size) for (let k = s.ackBelow; k < ack; k++) r.delete(k);
      else for (const k of r.keys()) if (k < ack) r.delete(k);
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
