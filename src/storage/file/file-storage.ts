/**
 * `FileStorage`: {@link RaftStorage} on any {@link FileSystem}: a real disk
 * through `NodeFileSystem` (`quorumkit/node`), or the simulator's `SimDisk`.
 *
 * On disk, in one directory:
 * - `META`: format version, cluster id, node id and a storage id made at random
 *   for a fresh directory (so a wiped node is told apart from its former self).
 * - `HARDSTATE`: term and vote (and the commit hint at that moment), replaced
 *   atomically (temporary file, fsync, rename, directory fsync) when term or vote change.
 * - `NNNNNNNNNNNNNNNN.wal`: log segments. Each starts with a header (format
 *   version, identity, sequence number) and holds one CRC-32C-checked record
 *   per `save`: its entries, and the hard state when only the commit hint
 *   changed. One save is one write and one fsync (group commit).
 * - `SNAPSHOT`: the latest snapshot, replaced atomically; then the segments it
 *   made obsolete are deleted.
 * @module
 */
import { QuorumkitError, StorageFailureError } from '../../errors.js';
import type { HardState } from '../../raft/core/types.js';
import type { FileSystem } from '../fs.js';
import type { PersistentState, RaftStorage, SnapshotSaveOptions, StorageUpdate, StoredSnapshot } from '../storage.js';
import { FileNames, writeAtomic } from './files.js';
import { encodeBatch, encodeHardState, encodeSnapshot, type SequencedHardState, type SnapshotRecord } from './format.js';
import { openDirectory, type OpenedDirectory } from './open.js';
import { resolveFileStorageOptions, type FileStorageOptions, type ResolvedFileStorageOptions } from './options.js';
import { RecordType, encodeRecord } from './record.js';
import { WalWriter } from './wal.js';

/** Counters of a {@link FileStorage}, for tests, coverage and reports. */
export interface FileStorageStats {
  /** `save` calls that wrote something and resolved. */
  saves: number;
  /** `saveSnapshot` calls that resolved. */
  snapshots: number;
  /** Torn log tails cut off at load. */
  tornTailsTruncated: number;
  /** Segment files created. */
  segmentsCreated: number;
  /** Segment files deleted after snapshots. */
  segmentsDeleted: number;
}

/** What a loaded storage keeps in memory: positions, never the entries themselves. */
interface LiveState {
  readonly wal: WalWriter;
  hardState: SequencedHardState;
  hardStateFileSeq: number;
  snapshot: SnapshotRecord | null;
  /** Index range of the log; empty when `last < first`. */
  first: number;
  last: number;
}

/**
 * A write-ahead-log {@link RaftStorage} on a {@link FileSystem}. Fail-stop: once
 * a write or fsync fails, that call and every later one reject with
 * `StorageFailureError` (a failed fsync is never retried, since the kernel may
 * already have dropped the data). At load, a torn log tail is cut off; damage
 * with valid data after it rejects with `StorageCorruptionError`; a directory
 * of another cluster or node rejects with `InvalidConfigError`.
 *
 * @example
 * ```ts
 * const storage = new FileStorage(new NodeFileSystem(), '/var/lib/app/raft', { clusterId: 'prod', nodeId: 'n1' });
 * const node = new RaftNode({ id: 'n1', peers, storage, transport, stateMachine });
 * ```
 */
export class FileStorage implements RaftStorage {
  private readonly options: ResolvedFileStorageOptions;
  private live: LiveState | null = null;
  private failure: StorageFailureError | null = null;
  private identityId: string | null = null;
  private torn = 0;
  private counts = { saves: 0, snapshots: 0 };

  /**
   * @param fs - The filesystem to keep files on.
   * @param dir - Absolute, `/`-separated directory of this node's files (created if missing).
   * @param options - Identity and tuning; see {@link FileStorageOptions}.
   */
  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    options: FileStorageOptions,
  ) {
    this.options = resolveFileStorageOptions(options);
  }

  /** The directory's storage id (random per fresh directory); null before the first `load`. */
  get storageId(): string | null {
    return this.identityId;
  }

  /** Whether the storage stopped after a failed write or fsync. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Counters since construction. */
  get stats(): FileStorageStats {
    const w = this.live?.wal.stats;
    return { ...this.counts, tornTailsTruncated: this.torn, segmentsCreated: w?.segmentsCreated ?? 0, segmentsDeleted: w?.segmentsDeleted ?? 0 };
  }

  /** Open the directory (creating it if fresh) and recover; see the class documentation for what rejects. */
  async load(): Promise<PersistentState> {
    this.throwIfFailed();
    await this.live?.wal.release();
    this.live = null;
    const d = await this.failStopOn('load', () => openDirectory(this.fs, this.dir, this.options));
    const wal = new WalWriter(this.fs, this.dir, d.identity, this.options.segmentBytes, d.segments, d.nextSeq);
    await this.failStopOn('load', () => wal.resume());
    this.identityId = d.identity.storageId;
    this.torn += d.tornTails;
    this.live = liveState(wal, d);
    return { hardState: d.hardState.hardState, entries: d.entries, snapshot: d.snapshot?.snapshot ?? null };
  }

  /** Durably apply one update: one write and one fsync, plus an atomic HARDSTATE replace when term or vote change. */
  async save(update: StorageUpdate): Promise<void> {
    const s = await this.ready();
    checkAppend(s, update);
    const hs = update.hardState;
    const hsChanged = hs !== null && !sameHardState(hs, s.hardState.hardState);
    if (!hsChanged && update.entries.length === 0) return;
    // Term and vote change rarely and must never be lost with a log segment, so they get their own file;
    // the commit hint changes on nearly every save, so it rides in the log record at no extra fsync.
    const voteChanged = hsChanged && (hs.term !== s.hardState.hardState.term || hs.vote !== s.hardState.hardState.vote);
    const seqd = hsChanged ? { hardState: hs, seq: s.hardState.seq + 1 } : null;
    let record = encodeRecord(RecordType.Batch, encodeBatch({ hardState: voteChanged ? null : seqd, entries: update.entries }));
    // A new segment starts with the current hard state, so compaction (which keeps the last segment) never deletes the newest one.
    if (s.wal.willRotate(record.length) && (voteChanged || seqd === null)) {
      record = encodeRecord(RecordType.Batch, encodeBatch({ hardState: seqd ?? s.hardState, entries: update.entries }));
    }
    // Refused before writing: a record load would take for damage must never reach the disk.
    if (record.length > this.options.maxRecordBytes) throw new RangeError(`FileStorage: a save of ${record.length} bytes exceeds maxRecordBytes (${this.options.maxRecordBytes})`);
    await this.failStopOn('save', async () => {
      if (voteChanged) await writeAtomic(this.fs, this.dir, FileNames.hardState, RecordType.HardState, encodeHardState(seqd!));
      if (update.entries.length === 0 && voteChanged) return;
      await s.wal.append(record, update.entries.at(-1)?.index ?? 0);
    });
    if (seqd !== null) s.hardState = seqd;
    if (voteChanged) s.hardStateFileSeq = seqd!.seq;
    const first = update.entries[0];
    if (first !== undefined) {
      if (s.last < s.first) s.first = first.index;
      s.last = update.entries.at(-1)!.index;
    }
    this.counts.saves++;
  }

  /**
   * Durably replace the snapshot (atomic rename), then delete the segments it
   * made obsolete. With `compactTo` it may overlap a `save` (see the contract):
   * the two share no file and compaction never deletes the segment being written.
   */
  async saveSnapshot(snapshot: StoredSnapshot, options: SnapshotSaveOptions): Promise<void> {
    const s = await this.ready();
    await this.failStopOn('saveSnapshot', async () => {
      // Discarding the log deletes the newest hard state record too, so the file catches up first
      // (no save runs concurrently with discardLog; one may with compactTo, which keeps the last segment).
      if (options.discardLog && s.hardState.seq > s.hardStateFileSeq) {
        await writeAtomic(this.fs, this.dir, FileNames.hardState, RecordType.HardState, encodeHardState(s.hardState));
        s.hardStateFileSeq = s.hardState.seq;
      }
      const walStartSeq = options.discardLog ? await s.wal.seal() : (s.snapshot?.walStartSeq ?? 0);
      const record: SnapshotRecord = { snapshot, compactTo: options.discardLog ? 0 : options.compactTo, walStartSeq };
      await writeAtomic(this.fs, this.dir, FileNames.snapshot, RecordType.Snapshot, encodeSnapshot(record));
      s.snapshot = record;
      if (options.discardLog) await s.wal.deleteBefore(walStartSeq);
      else await s.wal.deleteCompacted(options.compactTo);
    });
    if (options.discardLog) s.last = s.first - 1;
    else s.first = Math.max(s.first, options.compactTo + 1);
    this.counts.snapshots++;
  }

  /** Close open files. Resolves even after a failure, so a stopped node can still release its handles. */
  async close(): Promise<void> {
    const s = this.live;
    this.live = null;
    await s?.wal.release().catch(() => undefined);
  }

  private async ready(): Promise<LiveState> {
    this.throwIfFailed();
    if (this.live === null) await this.load();
    return this.live!;
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw new StorageFailureError(`FileStorage at ${this.dir} stopped after an earlier failure`, this.failure);
  }

  /**
   * Run `fn`; a filesystem error stops the storage for good. Our own errors
   * (corruption, another cluster's data) pass through: nothing failed to write.
   */
  private async failStopOn<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof QuorumkitError) throw e;
      this.failure = new StorageFailureError(`FileStorage at ${this.dir}: ${what} failed; stopped (fail-stop, never retried)`, e);
      await this.live?.wal.release().catch(() => undefined);
      throw this.failure;
    }
  }
}

function liveState(wal: WalWriter, d: OpenedDirectory): LiveState {
  const first = d.entries[0]?.index ?? 1;
  const last = d.entries.at(-1)?.index ?? first - 1;
  return { wal, hardState: d.hardState, hardStateFileSeq: d.hardStateFileSeq, snapshot: d.snapshot, first, last };
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** Reject (before writing anything) an append that is not contiguous or would leave a hole, as MemoryStorage does. */
function checkAppend(s: LiveState, update: StorageUpdate): void {
  const es = update.entries;
  const first = es[0];
  if (first === undefined) return;
  for (let i = 1; i < es.length; i++) {
    if (es[i]!.index !== es[i - 1]!.index + 1) throw new Error(`FileStorage: entries are not contiguous at ${es[i]!.index}`);
  }
  const snapIndex = s.snapshot?.snapshot.meta.index;
  if (s.last < s.first) {
    if (snapIndex !== undefined && first.index > snapIndex + 1) throw new Error(`FileStorage: append at ${first.index} would leave a hole after snapshot ${snapIndex}`);
    return;
  }
  if (first.index < s.first || first.index > s.last + 1) throw new Error(`FileStorage: append at ${first.index} would leave a hole (log is ${s.first}..${s.last})`);
}
