/**
 * `UdpGossipTransport`: the gossip layer's datagrams over `node:dgram`, with
 * TCP on the same port number as the reliable stream (`sendStream`: the
 * node's anti-entropy answers and large payloads) and as the fallback for
 * any packet larger than a safe datagram. Bytes are carried uninterpreted: the gossip node encrypts and
 * authenticates every packet (keyring, cluster id as associated data)
 * before it reaches the transport and checks them after.
 * @module
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { expectedGot } from '../../errors.js';
import type { GossipPacketHandler, GossipTransport } from '../../gossip/transport.js';
import { formatHostPort, parseHostPort, requireHostPort } from './address.js';
import { encodeStreamFrame, StreamParser, writeBounded } from './stream.js';

/** Options of {@link UdpGossipTransport.bind}. */
export interface UdpGossipTransportOptions {
  /** Address to bind and to advertise. @default '127.0.0.1' */
  host?: string;
  /** Port for both UDP and the TCP fallback; 0 picks a free one. @default 0 */
  port?: number;
  /** Largest packet sent as one datagram; larger ones go over TCP. @default 1400 */
  maxDatagramBytes?: number;
  /** Largest packet accepted at all (either way). @default 1048576 */
  maxPacketBytes?: number;
  /** Bytes buffered per outgoing TCP connection before packets are dropped. @default 4194304 */
  maxBufferedBytes?: number;
  /** Outgoing TCP connections kept at once (the oldest is closed beyond). @default 64 */
  maxStreams?: number;
  /** Close an idle outgoing TCP connection after this many ms. @default 30000 */
  streamIdleMs?: number;
}

/** Defaults of {@link UdpGossipTransportOptions}. */
export const UDP_GOSSIP_DEFAULTS: Readonly<Required<UdpGossipTransportOptions>> = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxDatagramBytes: 1400,
  maxPacketBytes: 1024 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxStreams: 64,
  streamIdleMs: 30_000,
});

/** Counters of a {@link UdpGossipTransport}. */
export interface UdpGossipStats {
  /** Datagrams sent. */
  datagramsSent: number;
  /** Datagrams received and handed on. */
  datagramsReceived: number;
  /** Packets sent over the TCP fallback. */
  streamSent: number;
  /** Packets received over the TCP fallback. */
  streamReceived: number;
  /** Packets dropped: bad address, oversized, buffers full, send errors. */
  dropped: number;
  /** TCP connections closed for malformed framing. */
  malformed: number;
}

function resolve(o: UdpGossipTransportOptions): Required<UdpGossipTransportOptions> {
  const r = { ...UDP_GOSSIP_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as Required<UdpGossipTransportOptions>;
  for (const k of ['maxDatagramBytes', 'maxPacketBytes', 'maxBufferedBytes', 'maxStreams', 'streamIdleMs'] as const) {
    if (!Number.isSafeInteger(r[k]) || r[k] <= 0) throw expectedGot(k, 'a positive integer', r[k]);
  }
  if (r.maxDatagramBytes > 65_507) throw expectedGot('maxDatagramBytes', 'at most 65507 (the UDP payload limit)', r.maxDatagramBytes);
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535) throw expectedGot('port', 'an integer in [0, 65535]', r.port);
  return r;
}

/**
 * A {@link GossipTransport} over UDP with a TCP fallback for large packets.
 *
 * @example
 * ```ts
 * const transport = await UdpGossipTransport.bind({ host: '127.0.0.1', port: 7946 });
 * const node = new GossipNode({ id: 'w1', transport, ... });
 * ```
 */
export class UdpGossipTransport implements GossipTransport {
  private handler: GossipPacketHandler | null = null;
  private closed = false;
  private readonly streams = new Map<string, { socket: Socket; idle: ReturnType<typeof setTimeout> }>();
  private readonly inbound = new Set<Socket>();
  /** Counters since start. */
  readonly stats: UdpGossipStats = { datagramsSent: 0, datagramsReceived: 0, streamSent: 0, streamReceived: 0, dropped: 0, malformed: 0 };

  private constructor(
    private readonly o: Required<UdpGossipTransportOptions>,
    private readonly udp: UdpSocket,
    private readonly server: Server,
    /** This endpoint's address, as others should send to it. */
    readonly address: string,
  ) {
    udp.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onDatagram(msg, rinfo));
    udp.on('error', () => void 0);
    server.on('connection', (s) => this.onInbound(s));
    server.on('error', () => void 0);
  }

  /** Bind UDP and TCP on the same port (retrying a few ports when `port` is 0 and the TCP side is taken). */
  static async bind(options: UdpGossipTransportOptions = {}): Promise<UdpGossipTransport> {
    const o = resolve(options);
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4' });
      const port = await new Promise<number>((res, rej) => {
        udp.once('error', rej);
        udp.bind(o.port, o.host, () => res(udp.address().port));
      });
      const server = createServer({ noDelay: true });
      try {
        await new Promise<void>((res, rej) => {
          server.once('error', rej);
          server.listen(port, o.host, () => res());
        });
        return new UdpGossipTransport(o, udp, server, formatHostPort(o.host, port));
      } catch (e) {
        udp.close();
        if (o.port !== 0 || attempt >= 5) throw e;
      }
    }
  }

  onPacket(handler: GossipPacketHandler): void {
    this.handler = handler;
  }

  send(address: string, packet: Uint8Array): void {
    if (this.closed) return;
    const to = parseHostPort(address);
    if (to === null || packet.byteLength > this.o.maxPacketBytes) {
      this.stats.dropped++;
      return;
    }
    if (packet.byteLength <= this.o.maxDatagramBytes) {
      this.udp.send(packet, to.port, to.host, (err) => {
        if (err) this.stats.dropped++;
      });
      this.stats.datagramsSent++;
      return;
    }
    this.writeStream(address, packet);
  }

  /** Send one packet over TCP to `address` (reliable and ordered while the connection lasts). */
  sendStream(address: string, packet: Uint8Array): void {
    if (this.closed) return;
    if (parseHostPort(address) === null || packet.byteLength > this.o.maxPacketBytes) {
      this.stats.dropped++;
      return;
    }
    this.writeStream(address, packet);
  }

  private writeStream(address: string, packet: Uint8Array): void {
    const s = this.streamTo(address);
    if (s === null || !writeBounded(s, encodeStreamFrame(this.address, packet), this.o.maxBufferedBytes)) {
      this.stats.dropped++;
      return;
    }
    this.stats.streamSent++;
  }

  /** The outgoing connection to `address`, opened on demand; null if too many are open and none can be closed. */
  private streamTo(address: string): Socket | null {
    const open = this.streams.get(address);
    if (open !== undefined && !open.socket.destroyed) {
      open.idle.refresh();
      return open.socket;
    }
    if (this.streams.size >= this.o.maxStreams) this.closeStream(this.streams.keys().next().value!);
    const { host, port } = requireHostPort(address, 'gossip address');
    const socket = connect({ host, port, noDelay: true });
    socket.on('error', () => this.closeStream(address));
    socket.on('close', () => this.closeStream(address));
    // Nothing is expected back on an outgoing stream: read and discard, so the peer is never blocked.
    socket.on('data', () => void 0);
    const idle = setTimeout(() => this.closeStream(address), this.o.streamIdleMs);
    idle.unref();
    this.streams.set(address, { socket, idle });
    return socket;
  }

  private closeStream(address: string): void {
    const s = this.streams.get(address);
    if (s === undefined) return;
    this.streams.delete(address);
    clearTimeout(s.idle);
    s.socket.destroy();
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed || this.handler === null) return;
    if (msg.byteLength > this.o.maxPacketBytes) {
      this.stats.dropped++;
      return;
    }
    this.stats.datagramsReceived++;
    this.handler(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), formatHostPort(rinfo.address, rinfo.port));
  }

  private onInbound(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    const parser = new StreamParser(this.o.maxPacketBytes + 302, (from, packet) => {
      if (this.closed || this.handler === null || parseHostPort(from) === null) return;
      this.stats.streamReceived++;
      this.handler(packet, from, true);
    });
    socket.on('data', (chunk: Buffer) => {
      if (!parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        this.stats.malformed++;
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.inbound.delete(socket));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const a of [...this.streams.keys()]) this.closeStream(a);
    for (const s of this.inbound) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.udp.close(() => r())),
      new Promise<void>((r) => this.server.close(() => r())),
    ]);
  }
}
