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

/** What a session says about an incoming command. */
export type SessionCheck =
  | { readonly kind: 'new'; readonly session: Session }
  | { readonly kind: 'duplicate'; readonly result: unknown }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'acknowledged' }
  | { readonly kind: 'full' };

/** Most results one session keeps at once (the client's in-flight commands). */
export const MAX_SESSION_RESULTS = 4096;

export class SessionTable {
  /** In order of last activity (replicated time only grows, so re-inserting keeps the order). */
  private readonly sessions = new Map<number, Session>();

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

  /** Look a command up: new, a duplicate (with its result), or refused. Touches the session. */
  check(id: number, seq: number, ack: number, now: number): SessionCheck {
    const s = this.sessions.get(id);
    if (s === undefined) return { kind: 'unknown' };
    this.sessions.delete(id);
    this.sessions.set(id, s);
    s.lastActive = now;
    if (ack > s.ackBelow) {
      for (const k of s.results.keys()) if (k < ack) s.results.delete(k);
      s.ackBelow = ack;
    }
    if (s.results.has(seq)) return { kind: 'duplicate', result: s.results.get(seq) };
    if (seq < s.ackBelow) return { kind: 'acknowledged' };
    if (s.results.size >= MAX_SESSION_RESULTS) return { kind: 'full' };
    return { kind: 'new', session: s };
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
    for (const s of sessions) this.sessions.set(s.id, s);
  }
}
