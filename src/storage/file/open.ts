/**
 * Opening a storage directory at load: create it if fresh (with a new storage
 * id), check it belongs to this cluster and node, read the hard state and
 * snapshot files, and replay the log.
 * @module
 */
import { StorageCorruptionError } from '../../errors.js';
import type { Entry } from '../../raft/core/types.js';
import { isFsError, type FileSystem } from '../fs.js';
import { FileNames, TMP_SUFFIX, join, parentDir, readSingle, segmentSeq, writeAtomic } from './files.js';
import { decodeHardState, decodeIdentity, decodeOr, decodeSnapshot, encodeIdentity, type Identity, type SequencedHardState, type SnapshotRecord } from './format.js';
import { checkIdentity } from './identity.js';
import type { ResolvedFileStorageOptions } from './options.js';
import { RecordType } from './record.js';
import { recoverWal } from './recovery.js';
import type { SegmentInfo } from './wal.js';

/** Everything load found, ready for the writer to continue from. */
export interface OpenedDirectory {
  readonly identity: Identity;
  readonly hardState: SequencedHardState;
  /** Sequence number of the hard state in the HARDSTATE file (0 if none). */
  readonly hardStateFileSeq: number;
  readonly snapshot: SnapshotRecord | null;
  /** The log, after the snapshot's compaction. */
  readonly entries: Entry[];
  readonly segments: SegmentInfo[];
  /** Sequence number for the next new segment. */
  readonly nextSeq: number;
  /** Torn tails cut off by this load. */
  readonly tornTails: number;
}

const EMPTY_HARD_STATE: SequencedHardState = { hardState: { term: 0, vote: null, commit: 0 }, seq: 0 };

/** The names in `dir`, creating it (durably) if it does not exist. */
async function listOrCreate(fs: FileSystem, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if (!isFsError(e, 'ENOENT')) throw e;
  }
  await fs.mkdir(dir);
  await fs.syncDir(parentDir(dir));
  return [];
}

/** The directory's identity: read from META, or made and written for a fresh directory. */
async function identityOf(fs: FileSystem, dir: string, names: readonly string[], o: ResolvedFileStorageOptions): Promise<Identity> {
  const meta = await readSingle(fs, dir, FileNames.meta, RecordType.Meta);
  if (meta !== null) {
    const found = decodeOr(join(dir, FileNames.meta), meta, decodeIdentity);
    checkIdentity(found, { clusterId: o.clusterId, nodeId: o.nodeId, storageId: found.storageId }, join(dir, FileNames.meta));
    return found;
  }
  const other = names.filter((n) => n === FileNames.hardState || n === FileNames.snapshot || segmentSeq(n) !== null);
  // META is written before anything else, so data without it is damage, not a fresh directory.
  if (other.length > 0) throw new StorageCorruptionError(`${dir}: ${FileNames.meta} is missing but ${other.join(', ')} exist; refusing to start`);
  const identity = { clusterId: o.clusterId, nodeId: o.nodeId, storageId: o.newStorageId() };
  await writeAtomic(fs, dir, FileNames.meta, RecordType.Meta, encodeIdentity(identity));
  return identity;
}

/** Open (or create) the storage directory and recover its state. */
export async function openDirectory(fs: FileSystem, dir: string, o: ResolvedFileStorageOptions): Promise<OpenedDirectory> {
  const names = await listOrCreate(fs, dir);
  // Leftovers of an interrupted atomic replace: the rename never happened, so they hold nothing durable.
  for (const n of names.filter((x) => x.endsWith(TMP_SUFFIX))) await fs.unlink(join(dir, n));
  const identity = await identityOf(fs, dir, names, o);
  const hsBytes = await readSingle(fs, dir, FileNames.hardState, RecordType.HardState);
  const hsFile = hsBytes === null ? EMPTY_HARD_STATE : decodeOr(join(dir, FileNames.hardState), hsBytes, decodeHardState);
  const snapBytes = await readSingle(fs, dir, FileNames.snapshot, RecordType.Snapshot);
  const snapshot = snapBytes === null ? null : decodeOr(join(dir, FileNames.snapshot), snapBytes, decodeSnapshot);
  const seqs = names.map(segmentSeq).filter((s): s is number => s !== null).sort((a, b) => a - b);
  const walStart = snapshot?.walStartSeq ?? 0;
  // Segments a discardLog snapshot made obsolete, if the crash came before their deletion.
  for (const s of seqs.filter((x) => x < walStart)) await fs.unlink(join(dir, names.find((n) => segmentSeq(n) === s)!));
  const live = seqs.filter((s) => s >= walStart);
  const wal = await recoverWal({ fs, dir, identity, maxRecordBytes: o.maxRecordBytes }, live);
  const hardState = wal.hardState !== null && wal.hardState.seq > hsFile.seq ? wal.hardState : hsFile;
  const compactTo = snapshot?.compactTo ?? 0;
  return {
    identity,
    hardState,
    hardStateFileSeq: hsFile.seq,
    snapshot,
    entries: wal.entries.filter((e) => e.index > compactTo),
    segments: wal.segments,
    nextSeq: Math.max(walStart, (seqs.at(-1) ?? -1) + 1),
    tornTails: wal.tornTails,
  };
}
