/**
 * Payloads of FileStorage's records, in msgpack through the package's one
 * codec configuration, every field validated on the way in: a record whose
 * checksum matches but whose content does not decode is corruption.
 * @module
 */
import { decodeEntry, encodeEntryValue } from '../../codec/raft.js';
import { decodeValue, encodeValue } from '../../codec/msgpack.js';
import { arr, bytes, id, str, uint } from '../../codec/validate.js';
import { StorageCorruptionError } from '../../errors.js';
import { decodeConfig } from '../../raft/core/confchange.js';
import type { StoredConfig } from '../../raft/core/confchange.js';
import type { Entry, HardState } from '../../raft/core/types.js';
import type { StoredSnapshot } from '../storage.js';

/** Who a directory belongs to: written once, in META, and repeated in every segment header. */
export interface Identity {
  readonly clusterId: string;
  readonly nodeId: string;
  /** Random per fresh directory, so a wiped node is told apart from its former self. */
  readonly storageId: string;
}

/** A segment header: the identity and the segment's sequence number. */
export interface SegmentHeader extends Identity {
  readonly seq: number;
}

/** A hard state with the save sequence number that orders it against others. */
export interface SequencedHardState {
  readonly hardState: HardState;
  /** Increases with every saved hard state; the highest found at load wins. */
  readonly seq: number;
}

/** One `save`: optional hard state and entries, written as one record. */
export interface Batch {
  readonly hardState: SequencedHardState | null;
  readonly entries: readonly Entry[];
}

/** The SNAPSHOT file: the snapshot and how it trimmed the log. */
export interface SnapshotRecord {
  readonly snapshot: StoredSnapshot;
  /** Entries with index ≤ this are not part of the log any more. */
  readonly compactTo: number;
  /** Segments with a lower sequence number are discarded (a `discardLog` snapshot); 0 keeps all. */
  readonly walStartSeq: number;
}

/** Run `decode`, turning any failure into a StorageCorruptionError naming the file. */
export function decodeOr<T>(where: string, payload: Uint8Array, decode: (v: unknown) => T): T {
  try {
    return decode(decodeValue(payload, Number.MAX_SAFE_INTEGER));
  } catch (e) {
    throw new StorageCorruptionError(`${where}: a record with a valid checksum does not decode`, e);
  }
}

/** Encode the identity (META file). */
export function encodeIdentity(i: Identity): Uint8Array {
  return encodeValue([i.clusterId, i.nodeId, i.storageId]);
}

/** Decode the identity (META file). */
export function decodeIdentity(v: unknown): Identity {
  const f = arr(v, 'meta', 3);
  return { clusterId: id(f[0], 'meta.clusterId'), nodeId: id(f[1], 'meta.nodeId'), storageId: id(f[2], 'meta.storageId') };
}

/** Encode a segment header. */
export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  return encodeValue([h.clusterId, h.nodeId, h.storageId, h.seq]);
}

/** Decode a segment header. */
export function decodeSegmentHeader(v: unknown): SegmentHeader {
  const f = arr(v, 'segment header', 4);
  return { ...decodeIdentity(f.slice(0, 3)), seq: uint(f[3], 'segment.seq') };
}

function hardStateValue(h: SequencedHardState): unknown[] {
  return [h.hardState.term, h.hardState.vote, h.hardState.commit, h.seq];
}

/** Decode a sequenced hard state. */
export function decodeHardState(v: unknown): SequencedHardState {
  const f = arr(v, 'hardState', 4);
  const vote = f[1] === null ? null : id(f[1], 'hardState.vote');
  return { hardState: { term: uint(f[0], 'hardState.term'), vote, commit: uint(f[2], 'hardState.commit') }, seq: uint(f[3], 'hardState.seq') };
}

/** Encode a sequenced hard state (HARDSTATE file). */
export function encodeHardState(h: SequencedHardState): Uint8Array {
  return encodeValue(hardStateValue(h));
}

/** Encode one save. */
export function encodeBatch(b: Batch): Uint8Array {
  return encodeValue([b.hardState === null ? null : hardStateValue(b.hardState), b.entries.map(encodeEntryValue)]);
}

/** Decode one save; checks the entries are contiguous. */
export function decodeBatch(v: unknown): Batch {
  const f = arr(v, 'batch', 2);
  const entries = arr(f[1], 'batch.entries').map((e, i) => decodeEntry(e, `batch.entries[${i}]`));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== entries[i - 1]!.index + 1) throw new Error(`batch entries are not contiguous at ${i}`);
  }
  return { hardState: f[0] === null ? null : decodeHardState(f[0]), entries };
}

/** Encode the SNAPSHOT file's record; the configuration is stored as JSON, as config entries are. */
export function encodeSnapshot(s: SnapshotRecord): Uint8Array {
  const m = s.snapshot.meta;
  return encodeValue([m.index, m.term, JSON.stringify(m.config), s.snapshot.data, s.compactTo, s.walStartSeq]);
}

/** Decode the SNAPSHOT file's record. */
export function decodeSnapshot(v: unknown): SnapshotRecord {
  const f = arr(v, 'snapshot', 6);
  const json = str(f[2], 'snapshot.config', Number.MAX_SAFE_INTEGER);
  if (decodeConfig(new TextEncoder().encode(json)) === null) throw new Error('snapshot.config: not a valid configuration');
  const config = JSON.parse(json) as StoredConfig;
  const meta = { index: uint(f[0], 'snapshot.index'), term: uint(f[1], 'snapshot.term'), config };
  return { snapshot: { meta, data: bytes(f[3], 'snapshot.data') }, compactTo: uint(f[4], 'snapshot.compactTo'), walStartSeq: uint(f[5], 'snapshot.walStartSeq') };
}

