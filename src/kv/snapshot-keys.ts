/**
 * The key chunks of a KV snapshot, written by hand: the same bytes msgpackr
 * writes for `[version, 'K', [[key, [[rev, [value, createRevision,
 * modRevision, version, lease] | null], …]], …]]`, without building the
 * nested arrays first. Snapshot building was about a tenth of the CPU of a
 * put-heavy load (generic packing of millions of small arrays). Anything
 * outside the common shape (a key that is not plain ASCII, a negative or
 * fractional number) returns null, and the caller packs it generically.
 * @module
 */
import { ARRAY, asciiBytes, binBytes, isAscii, isUint, prefixBytes, uintBytes, writeAscii, writeBin, writeNum, writePrefix } from '../codec/msgpack-write.js';
import type { Version } from './store.js';

/** One key and its versions, as a chunk holds them. */
export type KeyHistory = readonly [key: string, versions: readonly Version[]];

/** Encoded size of one version, or -1 outside the common shape. */
function versionBytes(v: Version): number {
  if (!isUint(v.rev)) return -1;
  const kv = v.kv;
  if (kv === null) return 1 + uintBytes(v.rev) + 1;
  if (!isUint(kv.createRevision) || !isUint(kv.modRevision) || !isUint(kv.version) || !isUint(kv.lease)) return -1;
  return 1 + uintBytes(v.rev) + 1 + binBytes(kv.value) + uintBytes(kv.createRevision) + uintBytes(kv.modRevision) + uintBytes(kv.version) + uintBytes(kv.lease);
}

/** A key chunk `[snapshotVersion, 'K', histories]` in msgpack, or null if it has to be packed generically. */
export function encodeKeyChunk(snapshotVersion: number, histories: readonly KeyHistory[]): Uint8Array | null {
  if (!isUint(snapshotVersion)) return null;
  let size = 1 + uintBytes(snapshotVersion) + 2 + prefixBytes(ARRAY, histories.length);
  for (const [key, versions] of histories) {
    if (!isAscii(key)) return null;
    size += 1 + asciiBytes(key) + prefixBytes(ARRAY, versions.length);
    for (const v of versions) {
      const n = versionBytes(v);
      if (n < 0) return null;
      size += n;
    }
  }
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  b[0] = 0x93;
  let at = writeNum(b, dv, 1, snapshotVersion);
  b[at++] = 0xa1;
  b[at++] = 0x4b; // 'K'
  at = writePrefix(b, dv, at, ARRAY, histories.length);
  for (const [key, versions] of histories) {
    b[at++] = 0x92;
    at = writeAscii(b, dv, at, key);
    at = writePrefix(b, dv, at, ARRAY, versions.length);
    for (const v of versions) {
      b[at++] = 0x92;
      at = writeNum(b, dv, at, v.rev);
      const kv = v.kv;
      if (kv === null) {
        b[at++] = 0xc0;
        continue;
      }
      b[at++] = 0x95;
      at = writeBin(b, dv, at, kv.value);
      at = writeNum(b, dv, at, kv.createRevision);
      at = writeNum(b, dv, at, kv.modRevision);
      at = writeNum(b, dv, at, kv.version);
      at = writeNum(b, dv, at, kv.lease);
    }
  }
  return b;
}
