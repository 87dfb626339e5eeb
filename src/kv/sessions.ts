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

export class SessionTable {
  /** In order of last activity (replicated time only grows, so re-inserting keeps the order). */
  private readonly sessions = new Map<number, Session>();
  /** The session of the last `new` check (valid until the next check). */
  current: Session | null = null;
  /** The recorded result of the last `duplicate` check. */
  duplicate: unknown = undefined;

  get size(): number {
    return this.sessions.size;
  }

  has(id: number): boolean {
    return this.sessions.has(id);
  }

  open(id: number, now: number): void {
    this.sessions.set(id, { id, lastActive: now, ackBelow: 0, results: new Map() });
  }

  close(id: number): boolean {
    return this.sessions.delete(id);
  }

  /** Look a command up: new, a duplicate, or refused. Touches the session. Allocates nothing. */
  check(id: number, seq: number, ack: number, now: number): SessionCheck {
    const s = this.sessions.get(id);
    if (s === undefined) return 'unknown';
    this.sessions.delete(id);
    this.sessions.set(id, s);
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
    for (const s of this.sessions.values()) {
      if (s.lastActive + ttlMs > now) return;
      this.sessions.delete(s.id);
    }
  }

  /** Every session, least recently active first (for snapshots). */
  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Replace every session (restore), given least recently active first. */
  load(sessions: Iterable<Session>): void {
    this.sessions.clear();
    this.current = null;
    this.duplicate = undefined;
    for (const s of sessions) this.sessions.set(s.id, s);
  }
}
