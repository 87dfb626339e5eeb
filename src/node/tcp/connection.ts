/**
 * One TCP (or TLS) connection of the transport: the handshake, the frame
 * parser on the way in, and the write pump that drains a peer's
 * {@link SendQueue} while the socket's buffer is below its high-water mark
 * (so a slow peer fills the bounded queue, not memory).
 * @module
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { TransportError } from '../../errors.js';
import type { NodeId } from '../../raft/core/types.js';
import { FrameParser, wholeFrame, type ParsedFrame } from './framing.js';
import { MAX_HANDSHAKE_BYTES, checkHello, decodeHello, encodeHello, hello } from './handshake.js';
import type { SendQueue } from './send-queue.js';
import { certifiedPeerId, type TcpTlsOptions } from './tls.js';

/** What a connection needs to know about its own node. */
export interface ConnectionContext {
  /** Our node id. */
  readonly selfId: NodeId;
  /** Our cluster id. */
  readonly clusterId: string;
  /** Mutual TLS settings, or null on plain TCP. */
  readonly tls: TcpTlsOptions | null;
  /** Frame limit once the handshake is done. */
  readonly maxFrameBytes: number;
  /** Time allowed for connect and handshake, ms. */
  readonly handshakeTimeoutMs: number;
}

/** How a connection reports to its transport. */
export interface ConnectionHooks {
  /** The handshake succeeded; `conn.peerId` is now set. */
  onOpen(conn: Connection): void;
  /** A complete frame arrived on an open connection. */
  onFrame(conn: Connection, frame: ParsedFrame): void;
  /** The connection closed; `err` says why if it was refused or broke the protocol. */
  onClose(conn: Connection, err: TransportError | null, wasOpen: boolean): void;
}

type State = 'connecting' | 'handshaking' | 'open' | 'closed';

/** See the module documentation. */
export class Connection {
  /** The authenticated peer's id, once open. */
  peerId: NodeId | null = null;
  private state: State;
  private readonly parser = new FrameParser(MAX_HANDSHAKE_BYTES);
  private queue: SendQueue | null = null;
  private pumpScheduled = false;
  private certifiedId: NodeId | null = null;
  private readonly timer: ReturnType<typeof setTimeout>;
  private socketError: Error | undefined;
  private tcpConnected = false;

  /**
   * @param socket a socket; for a dialer, not yet connected
   * @param dialedPeer the peer a dialer meant to reach, or null for an accepted socket
   */
  constructor(
    private readonly socket: Socket | TLSSocket,
    readonly dialedPeer: NodeId | null,
    private readonly ctx: ConnectionContext,
    private readonly hooks: ConnectionHooks,
  ) {
    this.state = dialedPeer === null ? 'handshaking' : 'connecting';
    this.timer = setTimeout(() => this.close(new TransportError('handshake', 'Connect or handshake timed out', dialedPeer)), ctx.handshakeTimeoutMs);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => (this.socketError = e));
    socket.once('connect', () => (this.tcpConnected = true));
    socket.on('close', () => this.close(this.closeReason()));
    socket.on('drain', () => this.pump());
    if (dialedPeer === null) this.begin();
    else socket.once(ctx.tls === null ? 'connect' : 'secureConnect', () => this.begin());
  }

  /** Whether the handshake is done and the connection not closed. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Why the socket closed under us: a failed TLS or hello exchange is reported; a refused dial is not. */
  private closeReason(): TransportError | null {
    if (this.state === 'handshaking') return new TransportError('handshake', 'Connection closed during the handshake', this.dialedPeer, this.socketError);
    if (this.state !== 'connecting' || this.ctx.tls === null || !this.tcpConnected) return null;
    const why = this.socketError?.message ?? 'closed';
    return new TransportError('identity', `TLS handshake with ${String(this.dialedPeer)} failed: ${why}`, this.dialedPeer, this.socketError);
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private begin(): void {
    if (this.state === 'closed') return;
    this.state = 'handshaking';
    this.socket.setNoDelay(true);
    if (this.ctx.tls !== null) {
      this.certifiedId = certifiedPeerId(this.socket as TLSSocket, this.ctx.tls);
      if (this.certifiedId === null) return this.close(new TransportError('identity', 'Peer certificate names no node id', this.dialedPeer));
    }
    if (this.dialedPeer !== null) this.writeHello(hello(this.ctx.clusterId, this.ctx.selfId, this.dialedPeer));
  }

  private writeHello(h: ReturnType<typeof hello>): void {
    this.socket.write(wholeFrame(encodeHello(h), 'control'));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    let frames: ParsedFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (e) {
      return this.close(e instanceof TransportError ? e : new TransportError('protocol', 'Framing error', this.peerId, e));
    }
    for (const f of frames) {
      if (this.isClosed()) return;
      if (this.state === 'open') this.hooks.onFrame(this, f);
      else this.onHello(f);
    }
  }

  private onHello(frame: ParsedFrame): void {
    let err: TransportError | null;
    let peer: NodeId | null = null;
    try {
      if (frame.lane !== 'control') throw new TransportError('handshake', 'Hello on the bulk lane');
      const h = decodeHello(frame.payload);
      peer = h.nodeId;
      err = checkHello(h, { clusterId: this.ctx.clusterId, selfId: this.ctx.selfId, peerId: this.dialedPeer, certifiedId: this.certifiedId });
    } catch (e) {
      err = e instanceof TransportError ? e : new TransportError('handshake', 'Malformed hello', null, e);
    }
    if (err !== null) return this.refuse(err);
    if (this.dialedPeer === null) this.writeHello(hello(this.ctx.clusterId, this.ctx.selfId, null));
    this.open(peer!);
  }

  /** An acceptor tells the dialer why before closing; a dialer just closes. */
  private refuse(err: TransportError): void {
    if (this.dialedPeer === null && this.state === 'handshaking') {
      this.socket.end(wholeFrame(encodeHello(hello(this.ctx.clusterId, this.ctx.selfId, null, err.reason)), 'control'));
      setTimeout(() => this.socket.destroy(), 1000).unref();
      this.finish(err);
      return;
    }
    this.close(err);
  }

  private open(peerId: NodeId): void {
    clearTimeout(this.timer);
    this.peerId = peerId;
    this.state = 'open';
    this.parser.setLimit(this.ctx.maxFrameBytes);
    this.socket.setKeepAlive(true, 10_000);
    this.hooks.onOpen(this);
  }

  /** Start writing frames from `queue` (the peer's queue outlives connections). */
  attach(queue: SendQueue): void {
    this.queue = queue;
    this.schedulePump();
  }

  /** Write what is queued, soon (coalescing the sends of one turn into one write). */
  schedulePump(): void {
    if (this.pumpScheduled || this.state !== 'open') return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const q = this.queue;
    const s = this.socket;
    if (this.state !== 'open' || q === null || s.writableNeedDrain) return;
    s.cork();
    while (!s.writableNeedDrain) {
      const piece = q.nextPiece();
      if (piece === null) break;
      for (const b of piece) s.write(b);
    }
    s.uncork();
  }

  /** Close now; `err` (if any) is reported to the transport. Idempotent. */
  close(err: TransportError | null = null): void {
    if (this.state === 'closed') return;
    this.socket.destroy();
    this.finish(err);
  }

  private finish(err: TransportError | null): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    clearTimeout(this.timer);
    this.hooks.onClose(this, err, wasOpen);
  }
}
