/**
 * The write side of the log: appends one record per save to the active
 * segment with one write and one fsync (group commit), starts a new segment
 * when the active one is full, and deletes segments a snapshot made obsolete.
 * @module
 */
import type { FileHandle, FileSystem } from '../fs.js';
import { join, segmentName } from './files.js';
import { encodeSegmentHeader, type Identity } from './format.js';
import { PREAMBLE_BYTES, RecordType, encodePreamble, encodeRecord } from './record.js';

/** What is known of one segment file. */
export interface SegmentInfo {
  /** Sequence number (also the file name). */
  readonly seq: number;
  /** Highest entry index written to it (0 if none); it may be deleted once compacted past this. */
  maxIndex: number;
}

/** Counters of a {@link WalWriter}. */
export interface WalStats {
  segmentsCreated: number;
  segmentsDeleted: number;
}

/** The active segment and the list of live ones. Not safe for concurrent calls (the node serializes them). */
export class WalWriter {
  private handle: FileHandle | null = null;
  private size = 0;
  /** Bytes of the active segment's preamble and header: below this it holds no save. */
  private headerEnd = 0;
  /** Counters. */
  readonly stats: WalStats = { segmentsCreated: 0, segmentsDeleted: 0 };

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly identity: Identity,
    private readonly segmentBytes: number,
    /** Live segments in sequence order; the last one is active. */
    readonly segments: SegmentInfo[],
    /** Sequence number of the next segment to create. */
    public nextSeq: number,
  ) {}

  /** Continue appending to the last live segment (at load). */
  async resume(): Promise<void> {
    const last = this.segments.at(-1);
    if (last === undefined) return;
    this.handle = await this.fs.open(join(this.dir, segmentName(last.seq)), { write: true });
    this.size = await this.handle.size();
    // A resumed segment counts as holding saves, so a big first record rotates rather than growing it.
    this.headerEnd = 0;
  }

  /** Whether appending `bytes` more starts a new segment. */
  willRotate(bytes: number): boolean {
    return this.handle === null || (this.size + bytes > this.segmentBytes && this.size > this.headerEnd);
  }

  /** Durably append one record holding entries up to `maxIndex` (0 for none). */
  async append(record: Uint8Array, maxIndex: number): Promise<void> {
    if (this.willRotate(record.length)) return this.create(record, maxIndex);
    const h = this.handle!;
    await h.append(record);
    await h.sync();
    this.size += record.length;
    const active = this.segments.at(-1)!;
    active.maxIndex = Math.max(active.maxIndex, maxIndex);
  }

  /** Start a new segment holding the header and `record`: one write, one fsync, and a directory fsync for its name. */
  private async create(record: Uint8Array, maxIndex: number): Promise<void> {
    await this.release();
    const seq = this.nextSeq++;
    const header = encodeRecord(RecordType.SegmentHeader, encodeSegmentHeader({ ...this.identity, seq }));
    const out = new Uint8Array(PREAMBLE_BYTES + header.length + record.length);
    out.set(encodePreamble());
    out.set(header, PREAMBLE_BYTES);
    out.set(record, PREAMBLE_BYTES + header.length);
    const h = await this.fs.open(join(this.dir, segmentName(seq)), { create: true, truncate: true });
    this.handle = h;
    this.segments.push({ seq, maxIndex });
    this.stats.segmentsCreated++;
    await h.write(out, 0);
    await h.sync();
    await this.fs.syncDir(this.dir);
    this.size = out.length;
    this.headerEnd = PREAMBLE_BYTES + header.length;
  }

  /** Close the active segment so the next append starts a new one; returns that one's sequence number. */
  async seal(): Promise<number> {
    await this.release();
    return this.nextSeq;
  }

  /** Delete every segment with a sequence number below `seq` (after a discardLog snapshot). */
  async deleteBefore(seq: number): Promise<void> {
    await this.deleteWhile((s) => s.seq < seq);
  }

  /**
   * Delete the oldest segments whose entries all have index ≤ `compactTo`,
   * never the last one: it holds the newest hard state record (a new segment
   * starts with the current hard state), and a concurrent `save` may be
   * appending to it or starting the next.
   */
  async deleteCompacted(compactTo: number): Promise<void> {
    await this.deleteWhile((s) => s !== this.segments.at(-1) && s.maxIndex <= compactTo);
  }

  /** Only a prefix is ever deleted, so replaying what is left gives the same log tail. */
  private async deleteWhile(pred: (s: SegmentInfo) => boolean): Promise<void> {
    let n = 0;
    while (n < this.segments.length && pred(this.segments[n]!)) {
      await this.fs.unlink(join(this.dir, segmentName(this.segments[n]!.seq)));
      n++;
    }
    if (n === 0) return;
    this.segments.splice(0, n);
    this.stats.segmentsDeleted += n;
    // Not needed for safety (a deleted segment that reappears replays the same), but keeps disk use bounded.
    await this.fs.syncDir(this.dir);
  }

  /** Close the active segment's handle. */
  async release(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    this.size = 0;
    if (h !== null) await h.close();
  }
}
