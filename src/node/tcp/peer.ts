/**
 * One peer of the transport: its bounded send queue (which outlives
 * connections), its current connection, and — on the side that dials —
 * reconnection with jittered exponential backoff.
 * @module
 */
import type { NodeId } from '../../raft/core/types.js';
import type { Connection } from './connection.js';
import type { QueuedFrame, SendQueue } from './send-queue.js';

/** Backoff settings of a {@link Peer}. */
export interface BackoffOptions {
  /** First delay, ms. */
  readonly backoffBaseMs: number;
  /** Longest delay, ms. */
  readonly backoffMaxMs: number;
  /** Randomness in [0, 1). */
  readonly random: () => number;
}

/**
 * Delay before reconnect attempt number `attempt` (from 0): the cap doubles
 * per attempt up to `backoffMaxMs`, and the delay is uniform in [cap/2, cap)
 * so that peers that lost each other at once do not redial in lockstep.
 */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const cap = Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** Math.min(attempt, 30));
  return cap / 2 + (o.random() * cap) / 2;
}

/** See the module documentation. */
export class Peer {
  /** The open connection, if any. */
  conn: Connection | null = null;
  private dialing: Connection | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private closed = false;

  /**
   * @param dials whether this side dials the peer (its id is the smaller)
   * @param dial opens a connection to `address` for this peer
   */
  constructor(
    readonly id: NodeId,
    public address: string | null,
    readonly dials: boolean,
    readonly queue: SendQueue,
    private readonly backoff: BackoffOptions,
    private readonly dial: (peer: Peer, address: string) => Connection,
  ) {}

  /** Dial now if this side dials, knows an address and has no connection. */
  connectNow(): void {
    if (this.closed || !this.dials || this.address === null || this.conn !== null || this.dialing !== null) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.dialing = this.dial(this, this.address);
  }

  /** A connection to this peer completed its handshake; it replaces any older one. */
  opened(conn: Connection): void {
    if (conn === this.dialing) this.dialing = null;
    const old = this.conn;
    this.conn = conn;
    this.attempt = 0;
    old?.close();
    conn.attach(this.queue);
  }

  /** A connection to this peer closed (open or not). */
  closedConn(conn: Connection): void {
    if (conn === this.dialing) this.dialing = null;
    if (conn === this.conn) {
      this.conn = null;
      this.queue.abandonPartial();
    }
    if (this.conn === null && this.dialing === null) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || !this.dials || this.timer !== null) return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connectNow();
    }, delay);
  }

  /** Queue a frame and wake the writer. */
  send(frame: QueuedFrame): void {
    this.queue.push(frame);
    this.conn?.schedulePump();
  }

  /** Stop dialing, close connections, drop what is queued. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.dialing?.close();
    this.conn?.close();
    this.queue.clear();
  }
}
