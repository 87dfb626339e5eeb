import { Packr } from 'msgpackr';
import { DecodeError } from '../errors.js';

/**
 * The one msgpackr configuration of the package. Plain arrays, maps and
 * binary only: no records, no class revival, no structured clone, so a
 * decoded value is always plain data that the validators can check.
 */
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'number',
});

/** Default largest frame accepted by {@link decodeFrame}: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Encode a plain value to msgpack bytes. */
export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Decode msgpack bytes, rejecting oversized frames by size before any
 * decoding work, and wrapping every parser failure in a {@link DecodeError}.
 */
export function decodeValue(bytes: Uint8Array, maxBytes = DEFAULT_MAX_FRAME_BYTES): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('Expected a Uint8Array frame');
  if (bytes.byteLength > maxBytes) throw new DecodeError(`Frame of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`);
  if (bytes.byteLength === 0) throw new DecodeError('Empty frame');
  // A plain Uint8Array view in, plain Uint8Arrays out: decoded bytes must not depend on whether the
  // frame arrived as a Node Buffer, or replicas would hold differently typed (unequal) values.
  const view = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return packr.unpack(view);
  } catch (e) {
    throw new DecodeError('Malformed msgpack frame', e);
  }
}
