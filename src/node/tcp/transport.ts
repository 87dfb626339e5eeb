/**
 * `TcpTransport`: the {@link RaftTransport} over TCP, optionally with
 * mutual TLS. See {@link TcpTransport} for the rules it follows.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { decodeRaftFrame, encodeRaftFrame } from '../../codec/raft.js';
import { TransportError } from '../../errors.js';
import { MsgType, type Message, type NodeId } from '../../raft/core/types.js';
import type { MessageHandler, RaftTransport } from '../../transport/transport.js';
import { Connection, type ConnectionContext, type ConnectionHooks } from './connection.js';
import type { Lane, ParsedFrame } from './framing.js';
import { formatAddress, parseAddress, resolveTcpOptions, type ResolvedTcpOptions, type TcpTransportOptions } from './options.js';
import { Peer } from './peer.js';
import { SendQueue, type QueuedFrame } from './send-queue.js';
import { tlsClientOptions, tlsServerOptions } from './tls.js';

/** Events of a {@link TcpTransport}. */
export interface TcpTransportEvents {
  /** A connection to `peerId` completed its handshake. */
  peerUp: (peerId: NodeId) => void;
  /** The connection to `peerId` closed. */
  peerDown: (peerId: NodeId) => void;
  /**
   * A connection was refused or closed for cause: another protocol version
   * or cluster, a certificate naming another node, a malformed handshake,
   * or bytes that break the framing or the codec. Also counted in stats.
   */
  connectionError: (err: TransportError) => void;
}

/** Counters of a {@link TcpTransport}; see {@link TcpTransport.stats}. */
export interface TcpTransportStats {
  /** Messages handed to `send` that were queued. */
  messagesQueued: number;
  /** Messages dropped on the way out: queue overflow, unknown peer, oversized, partly written when a connection broke, or closed. */
  messagesDropped: number;
  /** Messages delivered to the handler. */
  messagesDelivered: number;
  /** Frames received that failed to decode (the connection is closed). */
  malformedFrames: number;
  /** Received messages whose `from` is not the authenticated peer or whose `to` is not this node (dropped). */
  spoofedMessages: number;
  /** Connections refused or closed for cause (each also emitted as `connectionError`). */
  connectionErrors: number;
  /** Connections that completed the handshake. */
  connectionsOpened: number;
}

/** Encode a frame; null if the messages cannot be encoded (send must not throw). */
function encodeOrNull(msgs: readonly Message[]): Uint8Array | null {
  try {
    return encodeRaftFrame(msgs);
  } catch {
    return null;
  }
}

/** Mutable counters behind {@link TcpTransportStats}. */
type Counters = { -readonly [K in keyof TcpTransportStats]: number };

/**
 * Message types that always go on the control lane. An append or proposal
 * goes there only if it carries no entries; snapshot chunks and any other
 * type (including types added later) go on the bulk lane.
 */
const CONTROL_TYPES = new Set<number>([
  MsgType.Vote,
  MsgType.VoteResp,
  MsgType.PreVote,
  MsgType.PreVoteResp,
  MsgType.AppResp,
  MsgType.Heartbeat,
  MsgType.HeartbeatResp,
  MsgType.ReadIndex,
  MsgType.ReadIndexResp,
  MsgType.TimeoutNow,
  MsgType.SnapshotResp,
]);

function isControl(m: Message): boolean {
  return CONTROL_TYPES.has(m.type) || ('entries' in m && m.entries.length === 0);
}

/**
 * A Raft transport over TCP, with optional mutual TLS.
 *
 * - One connection per pair of nodes: the node with the smaller id dials
 *   (and redials with jittered exponential backoff); the other accepts.
 * - Each connection starts with a handshake of protocol version, cluster id
 *   and node id; a mismatch is refused, counted and emitted as
 *   `connectionError`, never adopted. With TLS, the id must equal the one
 *   the peer's certificate names; without TLS the handshake identifies a
 *   peer but does not authenticate it, so use TLS on untrusted networks.
 * - Frames are length-prefixed; lengths are checked against `maxFrameBytes`
 *   before anything is kept. A frame that breaks the framing or the codec
 *   closes the connection and is counted; a message whose sender is not the
 *   authenticated peer is dropped and counted.
 * - Messages carrying entries travel on a bulk lane in pieces of
 *   `chunkBytes`; everything else on a control lane that is always written
 *   first, so large appends do not starve heartbeats and votes.
 * - Each peer has a bounded queue; when it is full the oldest frames are
 *   dropped (Raft resends). `send` never throws or blocks. The writer hands
 *   the socket more only while its buffer is below the high-water mark.
 *   Priority is applied in user space: bulk bytes already in the kernel's
 *   send buffer still precede a later heartbeat on the wire.
 * - Memory per connection is bounded by the queue bounds on the way out
 *   and by two lanes of at most `maxFrameBytes` (plus one read) on the way
 *   in; until its handshake completes a connection may send only 4 KiB frames.
 *
 * @example
 * ```ts
 * const t = new TcpTransport({ id: 'a', clusterId: 'prod', port: 7001, peers: { b: '10.0.0.2:7001' } });
 * const node = new RaftNode({ id: 'a', peers: ['a', 'b', 'c'], transport: t, storage, stateMachine });
 * await node.start();
 * ```
 */
export class TcpTransport extends EventEmitter<TcpTransportEvents> implements RaftTransport {
  private readonly o: ResolvedTcpOptions;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly conns = new Set<Connection>();
  private readonly accepted = new Set<net.Socket>();
  private readonly counters: Counters = { messagesQueued: 0, messagesDropped: 0, messagesDelivered: 0, malformedFrames: 0, spoofedMessages: 0, connectionErrors: 0, connectionsOpened: 0 };
  private readonly ctx: ConnectionContext;
  private readonly hooks: ConnectionHooks;
  private server: net.Server | null = null;
  private listening: Promise<string> | null = null;
  private boundAddress: string | null = null;
  private handler: MessageHandler | null = null;
  private closed = false;

  /** Validates options (throws `InvalidConfigError`); nothing is opened until {@link TcpTransport.listen} or `start`. */
  constructor(options: TcpTransportOptions) {
    super();
    this.o = resolveTcpOptions(options);
    this.ctx = { selfId: this.o.id, clusterId: this.o.clusterId, tls: this.o.tls, maxFrameBytes: this.o.maxFrameBytes, handshakeTimeoutMs: this.o.handshakeTimeoutMs };
    this.hooks = { onOpen: (c) => this.onOpen(c), onFrame: (c, f) => this.onFrame(c, f), onClose: (c, e, was) => this.onClose(c, e, was) };
    for (const [id, addr] of Object.entries(this.o.peers)) if (id !== this.o.id) this.peer(id).address = addr;
  }

  /** This node's id. */
  get id(): NodeId {
    return this.o.id;
  }

  /**
   * Bind the listening socket; resolves to the bound address (`host:port`).
   * Idempotent; rejects with a {@link TransportError} (reason `listen`), after which it may be retried.
   */
  listen(): Promise<string> {
    if (this.listening !== null) return this.listening;
    const p = new Promise<string>((resolve, reject) => {
      const server = this.o.tls === null ? net.createServer() : tls.createServer({ ...tlsServerOptions(this.o.tls), handshakeTimeout: this.o.handshakeTimeoutMs });
      server.maxConnections = this.o.maxConnections;
      this.server = server;
      server.on('connection', (s: net.Socket) => this.trackSocket(s));
      server.on(this.o.tls === null ? 'connection' : 'secureConnection', (s: net.Socket) => this.accept(s));
      server.on('tlsClientError', (e: Error) => this.report(new TransportError('identity', `TLS handshake with a client failed: ${e.message}`, null, e)));
      server.on('error', (e: Error) => {
        if (this.boundAddress === null) return reject(new TransportError('listen', `Cannot listen on ${formatAddress(this.o.host, this.o.port)}: ${e.message}`, null, e));
        this.report(new TransportError('listen', `Listener error: ${e.message}`, null, e));
      });
      server.listen(this.o.port, this.o.host, () => {
        const a = server.address() as net.AddressInfo;
        this.boundAddress = formatAddress(a.address, a.port);
        resolve(this.boundAddress);
      });
    });
    p.catch(() => {
      if (this.listening === p) this.listening = null;
    });
    this.listening = p;
    return p;
  }

  /** The bound address (`host:port`), or null before {@link TcpTransport.listen}. */
  address(): string | null {
    return this.boundAddress;
  }

  /** Listen, then dial the peers this node dials. */
  async start(handler: MessageHandler): Promise<void> {
    if (this.closed) throw new TransportError('protocol', 'TcpTransport is closed');
    await this.listen();
    this.handler = handler;
    for (const p of this.peers.values()) p.connectNow();
  }

  /** Add a peer or change its address (`host:port`); dials it at once if this node dials it. */
  setPeer(id: NodeId, address: string): void {
    parseAddress(address, `address of ${id}`);
    if (id === this.o.id) return;
    const p = this.peer(id);
    p.address = address;
    if (this.handler !== null) p.connectNow();
  }

  /**
   * The cluster configuration changed: learn the addresses of members added
   * with one (`host:port`). Peers are only added or updated here; call
   * `removePeer` to forget one.
   */
  updatePeers(addresses: Readonly<Record<NodeId, string>>): void {
    for (const [id, address] of Object.entries(addresses)) {
      if (id === this.o.id || this.peers.get(id)?.address === address) continue;
      try {
        this.setPeer(id, address);
      } catch {
        // Not a host:port address (another transport's form): nothing to dial.
      }
    }
  }

  /** Forget a peer: close its connection and drop its queue. */
  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  /** Queue messages for their peers; never throws or blocks. */
  send(messages: readonly Message[]): void {
    if (this.closed || messages.length === 0) return;
    const byPeer = new Map<NodeId, [Message[], Message[]]>();
    for (const m of messages) {
      let lanes = byPeer.get(m.to);
      if (lanes === undefined) byPeer.set(m.to, (lanes = [[], []]));
      lanes[isControl(m) ? 0 : 1].push(m);
    }
    for (const [to, [control, bulk]] of byPeer) {
      const p = to === this.o.id ? undefined : this.peers.get(to);
      if (p === undefined) {
        this.counters.messagesDropped += control.length + bulk.length;
        continue;
      }
      this.enqueue(p, control, 'control');
      this.enqueue(p, bulk, 'bulk');
    }
  }

  private enqueue(p: Peer, msgs: Message[], lane: Lane): void {
    if (msgs.length === 0) return;
    const payload = encodeOrNull(msgs);
    if (payload === null || payload.byteLength > this.o.maxFrameBytes) {
      this.counters.messagesDropped += msgs.length;
      return;
    }
    this.counters.messagesQueued += msgs.length;
    p.send({ lane, payload, messages: msgs.length });
  }

  /** The address of a peer (or of this node), if known. */
  addressOf(id: NodeId): string | null {
    if (id === this.o.id) return this.o.advertise ?? this.boundAddress;
    return this.peers.get(id)?.address ?? null;
  }

  /** A snapshot of the counters. */
  stats(): TcpTransportStats {
    return { ...this.counters };
  }

  /** Ids of the peers with an open connection. */
  connectedPeers(): NodeId[] {
    return [...this.peers.values()].filter((p) => p.conn !== null).map((p) => p.id);
  }

  /** Bytes queued for a peer (0 if unknown). */
  queuedBytes(id: NodeId): number {
    return this.peers.get(id)?.queue.bytes ?? 0;
  }

  /** Close every connection and the listener; the handler is not called after this resolves. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    for (const p of this.peers.values()) p.close();
    for (const c of this.conns) c.close();
    for (const s of this.accepted) s.destroy();
    const server = this.server;
    if (server !== null) await new Promise<void>((r) => server.close(() => r()));
  }

  private peer(id: NodeId): Peer {
    let p = this.peers.get(id);
    if (p === undefined) {
      const queue = new SendQueue(this.o.maxQueueBytes, this.o.maxQueueFrames, this.o.chunkBytes, (f: QueuedFrame) => (this.counters.messagesDropped += f.messages));
      p = new Peer(id, null, this.o.id < id, queue, this.o, (peer, addr) => this.dial(peer, addr));
      this.peers.set(id, p);
    }
    return p;
  }

  private dial(peer: Peer, address: string): Connection {
    const { host, port } = parseAddress(address, `address of ${peer.id}`);
    const socket = this.o.tls === null ? net.connect({ host, port }) : tls.connect({ host, port, ...tlsClientOptions(this.o.tls) });
    return this.track(new Connection(socket, peer.id, this.ctx, this.hooks));
  }

  private accept(socket: net.Socket): void {
    if (this.closed) return void socket.destroy();
    this.track(new Connection(socket, null, this.ctx, this.hooks));
  }

  /** Every accepted socket, so close() can end those still in a TLS handshake. */
  private trackSocket(s: net.Socket): void {
    this.accepted.add(s);
    s.once('close', () => this.accepted.delete(s));
  }

  private track(c: Connection): Connection {
    this.conns.add(c);
    return c;
  }

  private onOpen(c: Connection): void {
    if (this.closed) return c.close();
    this.counters.connectionsOpened++;
    this.peer(c.peerId!).opened(c);
    this.emit('peerUp', c.peerId!);
  }

  private onFrame(c: Connection, f: ParsedFrame): void {
    let msgs: Message[];
    try {
      msgs = decodeRaftFrame(f.payload, this.o.maxFrameBytes);
    } catch (e) {
      this.counters.malformedFrames++;
      return c.close(new TransportError('protocol', `Undecodable frame from ${String(c.peerId)}`, c.peerId, e));
    }
    for (const m of msgs) {
      if (m.from !== c.peerId || m.to !== this.o.id) this.counters.spoofedMessages++;
      else if (this.handler !== null) {
        this.counters.messagesDelivered++;
        this.handler(m);
      }
    }
  }

  private onClose(c: Connection, err: TransportError | null, wasOpen: boolean): void {
    this.conns.delete(c);
    if (err !== null) this.report(err);
    const id = c.peerId ?? c.dialedPeer;
    const p = id === null ? undefined : this.peers.get(id);
    p?.closedConn(c);
    if (wasOpen && id !== null) this.emit('peerDown', id);
  }

  private report(err: TransportError): void {
    if (this.closed) return;
    this.counters.connectionErrors++;
    this.emit('connectionError', err);
  }
}
