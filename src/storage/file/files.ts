/**
 * File names and the small single-record files (META, HARDSTATE, SNAPSHOT),
 * which are replaced atomically: temporary file, fsync, rename, directory fsync.
 * @module
 */
import { StorageCorruptionError } from '../../errors.js';
import { isFsError, type FileSystem } from '../fs.js';
import { PREAMBLE_BYTES, encodePreamble, encodeRecord, preambleOk, readRecord, type RecordTypeValue } from './record.js';

/** Names of the files in a storage directory. */
export const FileNames = { meta: 'META', hardState: 'HARDSTATE', snapshot: 'SNAPSHOT' } as const;
/** Suffix of a temporary file; leftovers are deleted at load. */
export const TMP_SUFFIX = '.tmp';

const SEGMENT_NAME = /^[0-9a-f]{16}\.wal$/;

/** `dir/name`, for `/`-separated absolute paths. */
export function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** The parent directory of an absolute path. */
export function parentDir(path: string): string {
  const trimmed = path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path;
  const i = trimmed.lastIndexOf('/');
  return i <= 0 ? '/' : trimmed.slice(0, i);
}

/** The file name of the segment with sequence number `seq` (sorts in sequence order). */
export function segmentName(seq: number): string {
  return `${seq.toString(16).padStart(16, '0')}.wal`;
}

/** The sequence number of a segment file name, or null if `name` is not one. */
export function segmentSeq(name: string): number | null {
  return SEGMENT_NAME.test(name) ? Number.parseInt(name.slice(0, 16), 16) : null;
}

/** Durably replace `dir/name` with a preamble and one record. */
export async function writeAtomic(fs: FileSystem, dir: string, name: string, type: RecordTypeValue, payload: Uint8Array): Promise<void> {
  const tmp = join(dir, name + TMP_SUFFIX);
  const h = await fs.open(tmp, { create: true, truncate: true });
  try {
    const record = encodeRecord(type, payload);
    const out = new Uint8Array(PREAMBLE_BYTES + record.length);
    out.set(encodePreamble());
    out.set(record, PREAMBLE_BYTES);
    await h.write(out, 0);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, join(dir, name));
  await fs.syncDir(dir);
}

/**
 * The payload of a single-record file, or null if it does not exist. Such a
 * file is only ever replaced whole by rename, so any damage is corruption.
 */
export async function readSingle(fs: FileSystem, dir: string, name: string, type: RecordTypeValue): Promise<Uint8Array | null> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(join(dir, name));
  } catch (e) {
    if (isFsError(e, 'ENOENT')) return null;
    throw e;
  }
  const where = join(dir, name);
  if (!preambleOk(bytes, where)) throw new StorageCorruptionError(`${where}: not a quorumkit storage file (bad preamble)`);
  const r = readRecord(bytes, PREAMBLE_BYTES, Number.MAX_SAFE_INTEGER);
  if (r === null || r.type !== type || r.end !== bytes.length) throw new StorageCorruptionError(`${where}: damaged (bad checksum, type or length)`);
  return r.payload;
}
