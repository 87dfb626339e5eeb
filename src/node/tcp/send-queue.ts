/**
 * The bounded per-peer send queue with two lanes.
 *
 * Control frames (votes, heartbeats, responses: small) and bulk frames
 * (appends and proposals carrying entries, up to the frame limit) wait in
 * separate FIFO lanes. The writer always takes every waiting control frame
 * before the next piece of a bulk frame, and bulk frames leave in pieces of
 * at most `chunkBytes`, so a 16 MiB append delays a heartbeat by at most
 * one piece. Beyond `maxBytes` or `maxFrames` the oldest frames are dropped
 * (bulk first, as they are the largest and Raft resends them).
 * @module
 */
import { pieceHeader, wholeFrame, type Lane } from './framing.js';

/** A frame waiting to be written. */
export interface QueuedFrame {
  /** Its lane. */
  readonly lane: Lane;
  /** The encoded Raft frame. */
  readonly payload: Uint8Array;
  /** How many Raft messages it carries (for drop counters). */
  readonly messages: number;
}

/** A FIFO with O(1) shift. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  clear(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

/** See the module documentation. */
export class SendQueue {
  private readonly control = new Fifo<QueuedFrame>();
  private readonly bulk = new Fifo<QueuedFrame>();
  private current: { frame: QueuedFrame; offset: number } | null = null;
  private queuedBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxFrames: number,
    private readonly chunkBytes: number,
    private readonly onDrop: (frame: QueuedFrame) => void,
  ) {}

  /** Bytes waiting (payloads, including the unwritten rest of a frame in progress). */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Frames waiting, a frame in progress included. */
  get frames(): number {
    return this.control.length + this.bulk.length + (this.current === null ? 0 : 1);
  }

  /** Queue a frame, dropping the oldest frames if the bounds require. */
  push(frame: QueuedFrame): void {
    const size = frame.payload.byteLength;
    while (this.control.length + this.bulk.length > 0 && (this.queuedBytes + size > this.maxBytes || this.frames + 1 > this.maxFrames)) {
      const victim = this.bulk.shift() ?? this.control.shift()!;
      this.queuedBytes -= victim.payload.byteLength;
      this.onDrop(victim);
    }
    if (this.queuedBytes + size > this.maxBytes || this.frames + 1 > this.maxFrames) {
      this.onDrop(frame);
      return;
    }
    (frame.lane === 'control' ? this.control : this.bulk).push(frame);
    this.queuedBytes += size;
  }

  /** The next bytes to write (a header and a body), control first; null if nothing waits. */
  nextPiece(): [Uint8Array, Uint8Array] | [Uint8Array] | null {
    const c = this.control.shift();
    if (c !== undefined) {
      this.queuedBytes -= c.payload.byteLength;
      return [wholeFrame(c.payload, 'control')];
    }
    if (this.current === null) {
      const b = this.bulk.shift();
      if (b === undefined) return null;
      if (b.payload.byteLength <= this.chunkBytes) {
        this.queuedBytes -= b.payload.byteLength;
        return [wholeFrame(b.payload, 'bulk')];
      }
      this.current = { frame: b, offset: 0 };
    }
    return this.nextBulkPiece(this.current);
  }

  private nextBulkPiece(cur: { frame: QueuedFrame; offset: number }): [Uint8Array, Uint8Array] {
    const total = cur.frame.payload.byteLength;
    const end = Math.min(total, cur.offset + this.chunkBytes);
    const body = cur.frame.payload.subarray(cur.offset, end);
    this.queuedBytes -= end - cur.offset;
    cur.offset = end;
    const more = end < total;
    if (!more) this.current = null;
    return [pieceHeader(body.byteLength, 'bulk', more), body];
  }

  /** The connection broke: a bulk frame half written is lost (the receiver discards its pieces). */
  abandonPartial(): void {
    if (this.current === null) return;
    this.queuedBytes -= this.current.frame.payload.byteLength - this.current.offset;
    this.onDrop(this.current.frame);
    this.current = null;
  }

  /** Drop everything (on close), counting each frame. */
  clear(): void {
    this.abandonPartial();
    for (const f of [...this.control.clear(), ...this.bulk.clear()]) this.onDrop(f);
    this.queuedBytes = 0;
  }
}
