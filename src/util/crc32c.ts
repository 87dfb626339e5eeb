/**
 * CRC-32C (Castagnoli), the checksum of WAL records and wire frames: better error detection
 * than CRC-32 for the short bursts a torn sector leaves, and the one iSCSI,
 * ext4 and etcd use. Table-driven, slicing by 8: eight lookup tables let one
 * step fold in eight bytes, several times faster than a byte at a time, which
 * matters because every saved byte is checksummed on the commit path.
 * @module
 */

/** The reflected Castagnoli polynomial. */
const POLY = 0x82f63b78;

/** Table k (at offset 256·k) advances the CRC of a byte followed by k zero bytes. */
const T = ((): Uint32Array => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

/**
 * Continue a CRC-32C over `bytes[start, end)`. Start with `crc = 0`; feed the
 * result back in to checksum data given in pieces.
 */
export function crc32cUpdate(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = ~crc >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c =
      T[1792 + (c & 0xff)]! ^ T[1536 + ((c >>> 8) & 0xff)]! ^ T[1280 + ((c >>> 16) & 0xff)]! ^ T[1024 + (c >>> 24)]! ^
      T[768 + bytes[i + 4]!]! ^ T[512 + bytes[i + 5]!]! ^ T[256 + bytes[i + 6]!]! ^ T[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = T[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C of `bytes` (`crc32c("123456789") === 0xe3069283`). */
export function crc32c(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes);
}
