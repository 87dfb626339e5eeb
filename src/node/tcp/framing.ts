/**
 * Length-prefixed framing of the TCP transport.
 *
 * Every piece on the wire is a 5-byte header — a 4-byte big-endian payload
 * length and a flags byte — then the payload. Flags say which lane the piece
 * belongs to (control or bulk) and whether more pieces of the same frame
 * follow, so a large frame can be sent in chunks with control frames written
 * between them. The parser checks every length against its limits before it
 * keeps any byte of the payload, so a hostile peer cannot make it allocate
 * more than the limit.
 * @module
 */
import { TransportError } from '../../errors.js';

/** Bytes of a piece header. */
export const HEADER_BYTES = 5;
/** Flag: the piece belongs to the bulk lane (else the control lane). */
export const FLAG_BULK = 0x01;
/** Flag: more pieces of the same frame follow on this lane. */
export const FLAG_MORE = 0x02;
const KNOWN_FLAGS = FLAG_BULK | FLAG_MORE;

/** The two lanes of a connection. */
export type Lane = 'control' | 'bulk';

/** A complete frame taken off the wire. */
export interface ParsedFrame {
  /** The lane it came on. */
  readonly lane: Lane;
  /** The reassembled payload. */
  readonly payload: Uint8Array;
}

/** Encode the header of one piece. */
export function pieceHeader(length: number, lane: Lane, more: boolean): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  new DataView(h.buffer).setUint32(0, length);
  h[4] = (lane === 'bulk' ? FLAG_BULK : 0) | (more ? FLAG_MORE : 0);
  return h;
}

/** One frame as a single piece: header and payload in one buffer. */
export function wholeFrame(payload: Uint8Array, lane: Lane): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.byteLength);
  out.set(pieceHeader(payload.byteLength, lane, false), 0);
  out.set(payload, HEADER_BYTES);
  return out;
}

interface Reassembly {
  parts: Uint8Array[];
  bytes: number;
}

/**
 * Incremental parser: feed it socket bytes with {@link FrameParser.push};
 * it returns the frames completed so far or throws a {@link TransportError}
 * (reason `protocol`) on bytes that break the framing. After a throw the
 * parser is unusable and the connection should be closed.
 */
export class FrameParser {
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private readonly lanes: Record<Lane, Reassembly> = { control: { parts: [], bytes: 0 }, bulk: { parts: [], bytes: 0 } };
  private failed = false;

  /** @param maxFrameBytes largest reassembled frame accepted; raise it with {@link FrameParser.setLimit}. */
  constructor(private maxFrameBytes: number) {}

  /** Change the frame limit (e.g. from the handshake limit to the full one). */
  setLimit(maxFrameBytes: number): void {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held by the parser: unparsed input plus partly reassembled frames. */
  get heldBytes(): number {
    return this.bufferedBytes + this.lanes.control.bytes + this.lanes.bulk.bytes;
  }

  /** Feed bytes; returns the frames they complete. */
  push(chunk: Uint8Array): ParsedFrame[] {
    if (this.failed) throw new TransportError('protocol', 'Frame parser used after a framing error');
    if (chunk.byteLength === 0) return [];
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.byteLength;
    const out: ParsedFrame[] = [];
    try {
      for (let f = this.next(); f !== null; f = this.next()) out.push(f);
    } catch (e) {
      this.failed = true;
      this.buffered = [];
      this.bufferedBytes = 0;
      throw e;
    }
    return out;
  }

  /** Parse one piece if complete; returns a frame if the piece ends one. */
  private next(): ParsedFrame | null {
    while (this.bufferedBytes >= HEADER_BYTES) {
      const header = this.peek(HEADER_BYTES);
      const length = new DataView(header.buffer, header.byteOffset, HEADER_BYTES).getUint32(0);
      const flags = header[4]!;
      const lane: Lane = (flags & FLAG_BULK) !== 0 ? 'bulk' : 'control';
      this.check(flags, length, lane);
      if (this.bufferedBytes < HEADER_BYTES + length) return null;
      this.take(HEADER_BYTES);
      const body = this.take(length);
      const frame = this.addPiece(lane, body, (flags & FLAG_MORE) !== 0);
      if (frame !== null) return frame;
    }
    return null;
  }

  /** Refuse a header before any of its payload is kept. */
  private check(flags: number, length: number, lane: Lane): void {
    if ((flags & ~KNOWN_FLAGS) !== 0) throw new TransportError('protocol', `Unknown frame flags 0x${flags.toString(16)}`);
    const total = this.lanes[lane].bytes + length;
    if (total > this.maxFrameBytes) throw new TransportError('protocol', `Frame of at least ${total} bytes exceeds the limit of ${this.maxFrameBytes}`);
    if (length === 0 && (flags & FLAG_MORE) !== 0) throw new TransportError('protocol', 'Empty continuation piece');
  }

  private addPiece(lane: Lane, body: Uint8Array, more: boolean): ParsedFrame | null {
    const r = this.lanes[lane];
    r.parts.push(body);
    r.bytes += body.byteLength;
    if (more) return null;
    const payload = r.parts.length === 1 ? ownBytes(r.parts[0]!) : concat(r.parts, r.bytes);
    r.parts = [];
    r.bytes = 0;
    return { lane, payload };
  }

  /** The first `n` buffered bytes, without consuming them. */
  private peek(n: number): Uint8Array {
    const first = this.buffered[0]!;
    if (first.byteLength >= n) return first.subarray(0, n);
    const joined = concat(this.buffered, this.bufferedBytes);
    this.buffered = [joined];
    return joined.subarray(0, n);
  }

  /** Consume `n` buffered bytes (the caller checked they are there). */
  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    this.bufferedBytes -= n;
    const first = this.buffered[0]!;
    if (first.byteLength === n) {
      this.buffered.shift();
      return first;
    }
    if (first.byteLength > n) {
      this.buffered[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const b = this.buffered[0]!;
      const k = Math.min(b.byteLength, n - off);
      out.set(b.subarray(0, k), off);
      off += k;
      if (k === b.byteLength) this.buffered.shift();
      else this.buffered[0] = b.subarray(k);
    }
    return out;
  }
}

/**
 * A frame's bytes without pinning the socket read they came in: decoded
 * entries may be views into the frame, and a log may keep them for long.
 */
function ownBytes(b: Uint8Array): Uint8Array {
  return b.byteLength * 2 < b.buffer.byteLength ? b.slice() : b;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
