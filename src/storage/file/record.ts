/**
 * Framing of every file FileStorage writes: a preamble (magic and format
 * version) and then records `[length u32][crc32c u32][type u8][payload]`,
 * little-endian. The checksum covers the length, the type and the payload,
 * so a damaged length field is caught as surely as damaged data.
 * @module
 */
import { StorageCorruptionError } from '../../errors.js';
import { crc32cUpdate } from './crc32c.js';

/** 'QKIT' read as a little-endian u32: marks a quorumkit storage file. */
const MAGIC = 0x54494b51;
/** The on-disk format this code writes and reads. */
export const FORMAT_VERSION = 1;
/** Bytes of the preamble: magic and format version. */
export const PREAMBLE_BYTES = 8;
/** Bytes before a record's payload. */
export const RECORD_HEADER_BYTES = 9;

/** Record types. Numeric tags are only appended; 0 is never valid, so zero-filled space never parses. */
export const RecordType = { SegmentHeader: 1, Batch: 2, Meta: 3, HardState: 4, Snapshot: 5 } as const;
/** One of {@link RecordType}'s values. */
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(RecordType));

/** A record found in a file. */
export interface RawRecord {
  readonly type: RecordTypeValue;
  readonly payload: Uint8Array;
  /** Offset of the record's first byte. */
  readonly offset: number;
  /** Offset just past the record. */
  readonly end: number;
}

/** The 8-byte preamble every file starts with. */
export function encodePreamble(): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, FORMAT_VERSION, true);
  return out;
}

/**
 * Check a file's preamble. Returns false if the file is too short or the
 * magic is wrong (a torn or foreign file: the caller decides which); throws
 * if the magic is right and the version is one this code does not know,
 * since guessing at a newer format could destroy data.
 */
export function preambleOk(bytes: Uint8Array, where: string): boolean {
  if (bytes.length < PREAMBLE_BYTES) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
  if (v.getUint32(0, true) !== MAGIC) return false;
  const version = v.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new StorageCorruptionError(`${where}: unknown storage format version ${version} (this quorumkit reads version ${FORMAT_VERSION}); refusing to start`);
  }
  return true;
}

/** Frame one record. */
export function encodeRecord(type: RecordTypeValue, payload: Uint8Array): Uint8Array {
  if (payload.length > 0xffffffff) throw new RangeError(`record of ${payload.length} bytes exceeds the 4 GiB format limit`);
  const out = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, payload.length, true);
  out[8] = type;
  out.set(payload, RECORD_HEADER_BYTES);
  v.setUint32(4, recordCrc(out, 0, payload.length), true);
  return out;
}

function recordCrc(bytes: Uint8Array, offset: number, length: number): number {
  const c = crc32cUpdate(0, bytes, offset, offset + 4);
  return crc32cUpdate(c, bytes, offset + 8, offset + RECORD_HEADER_BYTES + length);
}

/** The valid record at `offset`, or null if there is none (short, unknown type, oversized or bad checksum). */
export function readRecord(bytes: Uint8Array, offset: number, maxPayload: number): RawRecord | null {
  if (offset + RECORD_HEADER_BYTES > bytes.length) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES);
  const length = v.getUint32(0, true);
  const type = bytes[offset + 8]!;
  const end = offset + RECORD_HEADER_BYTES + length;
  if (!KNOWN_TYPES.has(type) || length > maxPayload || end > bytes.length) return null;
  if (v.getUint32(4, true) !== recordCrc(bytes, offset, length)) return null;
  return { type: type as RecordTypeValue, payload: bytes.subarray(offset + RECORD_HEADER_BYTES, end), offset, end };
}

/** The valid records from `offset` on, up to the first invalid one; `end` is where scanning stopped. */
export function scanRecords(bytes: Uint8Array, offset: number, maxPayload: number): { records: RawRecord[]; end: number } {
  const records: RawRecord[] = [];
  let at = offset;
  for (let r = readRecord(bytes, at, maxPayload); r !== null; r = readRecord(bytes, at, maxPayload)) {
    records.push(r);
    at = r.end;
  }
  return { records, end: at };
}

/**
 * Whether any valid record starts at or after `from`. This is what tells a
 * torn tail (nothing valid after the damage) from corruption in the middle of
 * the log (valid records after it), so every offset is tried: after damage the
 * record boundaries are unknown.
 */
export function validRecordAfter(bytes: Uint8Array, from: number, maxPayload: number): boolean {
  for (let at = from; at + RECORD_HEADER_BYTES <= bytes.length; at++) {
    if (readRecord(bytes, at, maxPayload) !== null) return true;
  }
  return false;
}
