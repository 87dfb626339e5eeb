/**
 * Pieces for writing msgpack by hand, byte for byte as the package's
 * msgpackr configuration writes the same values (see msgpack.ts), for hot
 * encoders that skip building the value first: KV puts and snapshot key
 * chunks. Callers size the buffer with the `…Bytes` functions, then write.
 * @module
 */

/** Whether `v` is a number these writers put exactly as msgpackr would: a non-negative safe integer. */
export function isUint(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

/** Bytes of a msgpack uint as msgpackr writes it (useRecords off); float64 above 32 bits. */
export function uintBytes(v: number): number {
  if (v >>> 0 !== v) return 9;
  return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
}

/** Write `v` as msgpackr writes a non-negative number (uint up to 32 bits, else float64); returns the next offset. */
export function writeNum(b: Uint8Array, dv: DataView, at: number, v: number): number {
  if (v >>> 0 !== v) {
    b[at] = 0xcb;
    dv.setFloat64(at + 1, v);
    return at + 9;
  }
  if (v < 0x80) {
    b[at] = v;
    return at + 1;
  }
  if (v < 0x100) {
    b[at] = 0xcc;
    b[at + 1] = v;
    return at + 2;
  }
  if (v < 0x10000) {
    b[at] = 0xcd;
    dv.setUint16(at + 1, v);
    return at + 3;
  }
  b[at] = 0xce;
  dv.setUint32(at + 1, v);
  return at + 5;
}

/** A msgpack length prefix kind: the fix form's tag and limit (if any), and the 8/16/32-bit tags (8 if any). */
export interface Prefix {
  readonly fix: number;
  readonly fixLimit: number;
  readonly t8: number;
  readonly t16: number;
  readonly t32: number;
}

/** Array headers: fixarray, array16, array32. */
export const ARRAY: Prefix = { fix: 0x90, fixLimit: 16, t8: -1, t16: 0xdc, t32: 0xdd };
/** String headers: fixstr, str8, str16, str32. */
export const STR: Prefix = { fix: 0xa0, fixLimit: 0x20, t8: 0xd9, t16: 0xda, t32: 0xdb };
/** Binary headers: bin8, bin16, bin32. */
export const BIN: Prefix = { fix: -1, fixLimit: 0, t8: 0xc4, t16: 0xc5, t32: 0xc6 };

/** Bytes of a header of kind `p` for length `n`. */
export function prefixBytes(p: Prefix, n: number): number {
  return n < p.fixLimit ? 1 : p.t8 >= 0 && n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

/** Write a header of kind `p` for length `n`; returns the next offset. */
export function writePrefix(b: Uint8Array, dv: DataView, at: number, p: Prefix, n: number): number {
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

/** Whether `s` is plain ASCII (one byte a character in UTF-8), the only strings {@link writeAscii} writes. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Bytes of the ASCII string `s` with its header. */
export function asciiBytes(s: string): number {
  return prefixBytes(STR, s.length) + s.length;
}

/** Write the ASCII string `s` with its header; returns the next offset. */
export function writeAscii(b: Uint8Array, dv: DataView, at: number, s: string): number {
  at = writePrefix(b, dv, at, STR, s.length);
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
  return at + s.length;
}

/** Bytes of the binary `v` with its header. */
export function binBytes(v: Uint8Array): number {
  return prefixBytes(BIN, v.byteLength) + v.byteLength;
}

/** Write the binary `v` with its header; returns the next offset. */
export function writeBin(b: Uint8Array, dv: DataView, at: number, v: Uint8Array): number {
  at = writePrefix(b, dv, at, BIN, v.byteLength);
  b.set(v, at);
  return at + v.byteLength;
}
