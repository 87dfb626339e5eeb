import { describe, expect, it } from 'vitest';
import { crc32c, crc32cUpdate } from '../../../src/storage/file/crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('gives the same value fed in pieces as in one go', () => {
    const b = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131) & 0xff);
    const whole = crc32c(b);
    for (const cut of [0, 1, 7, 500, 999, 1000]) expect(crc32cUpdate(crc32cUpdate(0, b, 0, cut), b, cut)).toBe(whole);
  });

  it('changes when any single bit flips', () => {
    const b = ascii('the quick brown fox jumps over the lazy dog');
    const base = crc32c(b);
    for (let i = 0; i < b.length * 8; i++) {
      const c = b.slice();
      c[i >> 3]! ^= 1 << (i & 7);
      expect(crc32c(c)).not.toBe(base);
    }
  });
});

describe('crc32c slicing by 8', () => {
  /** The textbook bitwise CRC-32C, as a reference. */
  function bitwise(b: Uint8Array): number {
    let c = 0xffffffff;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  }

  it('agrees with the bitwise definition on every length and alignment up to 70 bytes', () => {
    const b = Uint8Array.from({ length: 80 }, (_, i) => (i * 197 + 13) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let len = 0; start + len <= 79 && len <= 70; len++) expect(crc32cUpdate(0, b, start, start + len)).toBe(bitwise(b.subarray(start, start + len)));
    }
  });
});
