/**
 * The read side of the log: replays the segments at load, truncates a torn
 * tail, and refuses a log damaged anywhere else. The rule that tells the two
 * apart: damage with no valid record after it (in the last segment) is a
 * write that a crash cut short; damage with a valid record after it, or in a
 * segment that is not the last, hit data that was already durable.
 * @module
 */
import { StorageCorruptionError } from '../../errors.js';
import type { Entry } from '../../raft/core/types.js';
import type { FileSystem } from '../fs.js';
import { join, segmentName } from './files.js';
import { checkIdentity } from './identity.js';
import { decodeBatch, decodeOr, decodeSegmentHeader, type Identity, type SequencedHardState } from './format.js';
import { PREAMBLE_BYTES, RecordType, preambleOk, readRecord, scanRecords, validRecordAfter, type RawRecord } from './record.js';
import type { SegmentInfo } from './wal.js';

/** What replaying the segments found. */
export interface RecoveredWal {
  /** Live segments in sequence order. */
  readonly segments: SegmentInfo[];
  /** The log, contiguous (before compaction by the snapshot's `compactTo`). */
  readonly entries: Entry[];
  /** The hard state with the highest sequence number found in the log, if any. */
  readonly hardState: SequencedHardState | null;
  /** How many torn tails were cut off (0 or 1). */
  readonly tornTails: number;
}

/** What the replay needs to know. */
export interface RecoveryContext {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly identity: Identity;
  readonly maxRecordBytes: number;
}

/** A torn segment's fate: cut at `at`, or removed whole (its header never made it). */
type Tear = { kind: 'truncate'; at: number } | { kind: 'remove' };

/** Replay the segments `seqs` (ascending), repairing a torn tail on disk. */
export async function recoverWal(ctx: RecoveryContext, seqs: readonly number[]): Promise<RecoveredWal> {
  const replay = new Replay();
  const segments: SegmentInfo[] = [];
  let tornTails = 0;
  for (const [i, seq] of seqs.entries()) {
    const path = join(ctx.dir, segmentName(seq));
    const bytes = await ctx.fs.readFile(path);
    const { records, tear } = parseSegment(ctx, bytes, path, seq, i === seqs.length - 1);
    if (tear !== null) {
      tornTails++;
      await repair(ctx, path, tear);
      if (tear.kind === 'remove') continue;
    }
    const info: SegmentInfo = { seq, maxIndex: 0 };
    for (const r of records) info.maxIndex = Math.max(info.maxIndex, replay.apply(r, path));
    segments.push(info);
  }
  return { segments, entries: replay.entries, hardState: replay.hardState, tornTails };
}

/** The batch records of one segment, and the tear to repair if its tail is torn. */
function parseSegment(ctx: RecoveryContext, bytes: Uint8Array, path: string, seq: number, last: boolean): { records: RawRecord[]; tear: Tear | null } {
  const damaged = (at: number, what: string): { records: RawRecord[]; tear: Tear } => {
    if (last && !validRecordAfter(bytes, at + 1, ctx.maxRecordBytes)) return { records: [], tear: { kind: 'remove' } };
    throw new StorageCorruptionError(`${path}: ${what}, and valid data follows or later segments exist; refusing to start`);
  };
  if (!preambleOk(bytes, path)) return damaged(0, 'bad preamble');
  const header = readRecord(bytes, PREAMBLE_BYTES, ctx.maxRecordBytes);
  if (header === null || header.type !== RecordType.SegmentHeader) return damaged(PREAMBLE_BYTES, 'damaged segment header');
  const h = decodeOr(path, header.payload, decodeSegmentHeader);
  checkIdentity(h, ctx.identity, path);
  if (h.seq !== seq) throw new StorageCorruptionError(`${path}: header says segment ${h.seq}`);
  const { records, end } = scanRecords(bytes, header.end, ctx.maxRecordBytes);
  if (end === bytes.length) return { records, tear: null };
  if (last && !validRecordAfter(bytes, end + 1, ctx.maxRecordBytes)) return { records, tear: { kind: 'truncate', at: end } };
  const where = last ? 'followed by valid records' : 'in a segment that is not the last';
  throw new StorageCorruptionError(`${path}: damaged record at offset ${end} ${where}; committed data may be lost, refusing to start`);
}

/** Cut a torn tail off durably before anything is appended after it, so it can never reappear between new records. */
async function repair({ fs, dir }: RecoveryContext, path: string, tear: Tear): Promise<void> {
  if (tear.kind === 'remove') {
    // Durably: a torn segment that came back behind a newer one would look like corruption.
    await fs.unlink(path);
    await fs.syncDir(dir);
    return;
  }
  const h = await fs.open(path, { write: true });
  try {
    await h.truncate(tear.at);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Replays batch records into a log and the latest hard state. */
class Replay {
  readonly entries: Entry[] = [];
  hardState: SequencedHardState | null = null;

  /** Apply one record; returns the highest entry index it holds (0 if none). */
  apply(r: RawRecord, path: string): number {
    if (r.type !== RecordType.Batch) throw new StorageCorruptionError(`${path}: unexpected record type ${r.type} at offset ${r.offset}`);
    const b = decodeOr(`${path} at offset ${r.offset}`, r.payload, decodeBatch);
    if (b.hardState !== null && (this.hardState === null || b.hardState.seq > this.hardState.seq)) this.hardState = b.hardState;
    const first = b.entries[0];
    if (first === undefined) return 0;
    const log = this.entries;
    const start = log[0]?.index ?? first.index;
    const last = log.at(-1)?.index ?? first.index - 1;
    if (first.index > last + 1) throw new StorageCorruptionError(`${path}: entries at ${first.index} leave a hole after ${last}`);
    // A batch starting before the replayed log's start overwrote everything from there (an older segment was deleted).
    log.length = Math.max(0, first.index - start);
    for (const e of b.entries) log.push(e);
    return b.entries.at(-1)!.index;
  }
}
