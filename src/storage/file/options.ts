/**
 * Options of {@link FileStorage}: one interface, one frozen defaults object,
 * one resolver.
 * @module
 */
import { expectedGot } from '../../errors.js';

/** Options of a {@link FileStorage}. */
export interface FileStorageOptions {
  /** The cluster this node belongs to; a directory written for another cluster refuses to load. */
  clusterId: string;
  /** This node's id; a directory written for another node refuses to load. */
  nodeId: string;
  /** A segment file is closed and a new one started once it would grow past this many bytes. @default 67108864 */
  segmentBytes?: number;
  /** Largest record accepted when reading, bytes; a larger length field is treated as damage. @default 268435456 */
  maxRecordBytes?: number;
  /** Makes the storage id of a fresh directory. @default 16 random bytes from `crypto.getRandomValues`, in hex */
  newStorageId?: () => string;
}

/** Defaults of {@link FileStorageOptions}. */
export const FILE_STORAGE_DEFAULTS: Readonly<Required<Pick<FileStorageOptions, 'segmentBytes' | 'maxRecordBytes'>>> = Object.freeze({
  segmentBytes: 64 * 1024 * 1024,
  maxRecordBytes: 256 * 1024 * 1024,
});

/** Options with every default filled. */
export type ResolvedFileStorageOptions = Required<FileStorageOptions>;

/** A random id from the platform's CSPRNG (Node 20, browsers, Deno, Bun all have `crypto.getRandomValues`). */
export function randomStorageId(): string {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues === undefined) throw new Error('FileStorage needs crypto.getRandomValues, or the newStorageId option');
  return [...c.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function idField(name: string, v: unknown): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) throw expectedGot(name, 'a non-empty string of at most 256 chars', v);
}

/** Fill defaults and validate; throws `InvalidConfigError` with "expected … got …". */
export function resolveFileStorageOptions(o: FileStorageOptions): ResolvedFileStorageOptions {
  idField('clusterId', o.clusterId);
  idField('nodeId', o.nodeId);
  const segmentBytes = o.segmentBytes ?? FILE_STORAGE_DEFAULTS.segmentBytes;
  const maxRecordBytes = o.maxRecordBytes ?? FILE_STORAGE_DEFAULTS.maxRecordBytes;
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1024) throw expectedGot('segmentBytes', 'an integer ≥ 1024', segmentBytes);
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1024 || maxRecordBytes > 0xffffffff) {
    throw expectedGot('maxRecordBytes', 'an integer in [1024, 4294967295]', maxRecordBytes);
  }
  if (o.newStorageId !== undefined && typeof o.newStorageId !== 'function') throw expectedGot('newStorageId', 'a function', o.newStorageId);
  return { clusterId: o.clusterId, nodeId: o.nodeId, segmentBytes, maxRecordBytes, newStorageId: o.newStorageId ?? randomStorageId };
}
