/**
 * CRC-32C for WAL records; the implementation lives in `src/util/crc32c.ts`
 * (the wire codec checksums frames with it too). This path is kept for
 * existing imports.
 * @module
 */
export { crc32c, crc32cUpdate } from '../../util/crc32c.js';
