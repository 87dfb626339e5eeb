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
import { uintBytes, writeNum } from '../codec/kv.js';
import type { Version } from './store.js';

/** One key and its versions, as a chunk holds them. */
export type KeyHistory = readonly [key: string, versions: readonly Version[]];

const isPlainUint = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/** A msgpack length prefix kind: the fix form's tag and limit (if any), and the 8/16/32-bit tags (8 if any). */
interface Prefix {
  readonly fix: number;
  readonly fixLimit: number;
  readonly t8: number;
  readonly t16: number;
  readonly t32: number;
}

const ARRAY: Prefix = { fix: 0x90, fixLimit: 16, t8: -1, t16: 0xdc, t32: 0xdd };
const STR: Prefix = { fix: 0xa0, fixLimit: 0x20, t8: 0xd9, t16: 0xda, t32: 0xdb };
const BIN: Prefix = { fix: -1, fixLimit: 0, t8: 0xc4, t16: 0xc5, t32: 0xc6 };

function prefixBytes(p: Prefix, n: number): number {
  return n < p.fixLimit ? 1 : p.t8 >= 0 && n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writePrefix(b: Uint8Array, dv: DataView, at: number, p: Prefix, n: number): number {
  switch (prefixBytes(p, n)) {
    case 1:
      b[at] = p.fix | n;
      return at + 1;
    case 2:
      b[at] = p.t8;
      b[at + 1] = n;
      return at + 2;
    case 3:
      b[at] = p.t16;
      dv.setUint16(at + 1, n);
      return at + 3;
    default:
      b[at] = p.t32;
      dv.setUint32(at + 1, n);
      return at + 5;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Encoded size of one version, or -1 outside the common shape. */
function versionBytes(v: Version): number {
  if (!isPlainUint(v.rev)) return -1;
  const kv = v.kv;
  if (kv === null) return 1 + uintBytes(v.rev) + 1;
  if (!isPlainUint(kv.createRevision) || !isPlainUint(kv.modRevision) || !isPlainUint(kv.version) || !isPlainUint(kv.lease)) return -1;
  const n = kv.value.byteLength;
  return 1 + uintBytes(v.rev) + 1 + prefixBytes(BIN, n) + n + uintBytes(kv.createRevision) + uintBytes(kv.modRevision) + uintBytes(kv.version) + uintBytes(kv.lease);
}

/** A key chunk `[snapshotVersion, 'K', histories]` in msgpack, or null if it has to be packed generically. */
export function encodeKeyChunk(snapshotVersion: number, histories: readonly KeyHistory[]): Uint8Array | null {
  if (!isPlainUint(snapshotVersion)) return null;
  let size = 1 + uintBytes(snapshotVersion) + 2 + prefixBytes(ARRAY, histories.length);
  for (const [key, versions] of histories) {
    if (!isAscii(key)) return null;
    size += 1 + prefixBytes(STR, key.length) + key.length + prefixBytes(ARRAY, versions.length);
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
    at = writePrefix(b, dv, at, STR, key.length);
    for (let i = 0; i < key.length; i++) b[at + i] = key.charCodeAt(i);
    at = writePrefix(b, dv, at + key.length, ARRAY, versions.length);
    for (const v of versions) {
      b[at++] = 0x92;
      at = writeNum(b, dv, at, v.rev);
      const kv = v.kv;
      if (kv === null) {
        b[at++] = 0xc0;
        continue;
      }
      b[at++] = 0x95;
      at = writePrefix(b, dv, at, BIN, kv.value.byteLength);
      b.set(kv.value, at);
      at += kv.value.byteLength;
      at = writeNum(b, dv, at, kv.createRevision);
      at = writeNum(b, dv, at, kv.modRevision);
      at = writeNum(b, dv, at, kv.version);
      at = writeNum(b, dv, at, kv.lease);
    }
  }
  return b;
}
