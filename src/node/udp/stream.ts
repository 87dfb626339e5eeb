/**
 * The TCP side of the UDP gossip transport: packets too large for one safe
 * datagram travel as frames `[u32 length][u16 address length][sender
 * address][packet]` on a connection to the receiver's TCP port (the same
 * number as its UDP port). The sender's address is in the frame because the
 * connection's source port is not the sender's gossip address.
 */
import type { Socket } from 'node:net';

const HEADER = 6;

/** Encode one frame. */
export function encodeStreamFrame(from: string, packet: Uint8Array): Uint8Array {
  const addr = new TextEncoder().encode(from);
  const out = new Uint8Array(HEADER + addr.byteLength + packet.byteLength);
  const v = new DataView(out.buffer);
  v.setUint32(0, 2 + addr.byteLength + packet.byteLength);
  v.setUint16(4, addr.byteLength);
  out.set(addr, HEADER);
  out.set(packet, HEADER + addr.byteLength);
  return out;
}

/**
 * Incremental frame parser for one connection. Lengths are checked against
 * `maxFrameBytes` before any payload is kept; a violation is reported once
 * and the caller closes the connection.
 */
export class StreamParser {
  private buf: Uint8Array = new Uint8Array(0);
  failed = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (from: string, packet: Uint8Array) => void,
  ) {}

  /** Feed bytes; returns false once the stream is malformed. */
  push(chunk: Uint8Array): boolean {
    if (this.failed) return false;
    this.buf = this.buf.byteLength === 0 ? chunk : concat(this.buf, chunk);
    for (;;) {
      if (this.buf.byteLength < 4) return true;
      const v = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      const len = v.getUint32(0);
      if (len < 2 || len > this.maxFrameBytes) return this.fail();
      if (this.buf.byteLength < 4 + len) return true;
      const addrLen = v.getUint16(4);
      if (addrLen === 0 || addrLen > 300 || 2 + addrLen > len) return this.fail();
      const from = new TextDecoder('utf-8', { fatal: false }).decode(this.buf.subarray(HEADER, HEADER + addrLen));
      const packet = this.buf.slice(HEADER + addrLen, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      this.onFrame(from, packet);
    }
  }

  private fail(): false {
    this.failed = true;
    this.buf = new Uint8Array(0);
    return false;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** Write to a socket unless its buffer already holds more than `maxBuffered` bytes; returns whether written. */
export function writeBounded(socket: Socket, frame: Uint8Array, maxBuffered: number): boolean {
  if (socket.destroyed || socket.writableLength > maxBuffered) return false;
  socket.write(frame);
  return true;
}
