import { DecodeError } from '../errors.js';

/**
 * Field validators for decoded frames. Each returns the value with its
 * checked type or throws a {@link DecodeError} naming the field.
 */

export function fail(field: string, expected: string, got: unknown): never {
  const kind = got === null ? 'null' : Array.isArray(got) ? 'array' : got instanceof Uint8Array ? 'bytes' : typeof got;
  throw new DecodeError(`Field ${field}: expected ${expected}, got ${kind}`);
}

/** A non-negative safe integer. */
export function uint(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(field, 'a non-negative integer', v);
  return v;
}

/** A safe integer in [min, max]. */
export function intIn(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(field, `an integer in [${min}, ${max}]`, v);
  return v;
}

/** A finite number. */
export function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, 'a finite number', v);
  return v;
}

/** A string of at most `maxLen` UTF-16 units. */
export function str(v: unknown, field: string, maxLen = 1024): string {
  if (typeof v !== 'string' || v.length > maxLen) fail(field, `a string of at most ${maxLen} chars`, v);
  return v;
}

/** A non-empty string of at most `maxLen` UTF-16 units (ids). */
export function id(v: unknown, field: string, maxLen = 256): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLen) fail(field, `a non-empty id of at most ${maxLen} chars`, v);
  return v;
}

/** A boolean. */
export function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') fail(field, 'a boolean', v);
  return v;
}

/** Bytes of at most `maxLen` length. */
export function bytes(v: unknown, field: string, maxLen = Number.MAX_SAFE_INTEGER): Uint8Array {
  if (!(v instanceof Uint8Array) || v.byteLength > maxLen) fail(field, `bytes of at most ${maxLen}`, v);
  return v;
}

/** An array of at most `maxLen` items. */
export function arr(v: unknown, field: string, maxLen = 1_000_000): unknown[] {
  if (!Array.isArray(v) || v.length > maxLen) fail(field, `an array of at most ${maxLen} items`, v);
  return v;
}
