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
