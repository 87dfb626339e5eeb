/**
 * Encoding of node records and membership commands, validated field by
 * field (they come off the wire and out of snapshots).
 * @module
 */
import { decodeValue, encodeValue } from '../codec/msgpack.js';
import { fail, finite, id as idField, str } from '../codec/validate.js';
import { AVAILABILITIES, NODE_ROLES, NODE_STATUSES, type Availability, type NodeRole, type NodeStatus, type RegisterInput, type StoredNode, type UpdateInput } from './types.js';

/** Name of the membership extension; its keys start with `"\u0000m/"`. */
export const MEMBERSHIP_EXT = 'm';
/** Key prefix of node records. */
export const NODE_PREFIX = '\u0000m/n/';
/** Key prefix of removed-id markers. */
export const REMOVED_PREFIX = '\u0000m/x/';
const MAX_LABELS = 256;

/** A membership command. */
export type MembershipCommand =
  | { readonly op: 'register'; readonly input: RegisterInput }
  | { readonly op: 'update'; readonly id: string; readonly patch: UpdateInput }
  | { readonly op: 'setRole'; readonly id: string; readonly role: NodeRole }
  | { readonly op: 'remove'; readonly id: string; readonly force: boolean };

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(field, `one of ${allowed.join(', ')}`, v);
  return v as T;
}

/** Validate labels: a plain object of at most 256 string → string entries. */
export function labels(v: unknown, field = 'labels'): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(field, 'an object of strings', v);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_LABELS) fail(field, `at most ${MAX_LABELS} labels`, v);
  const out: Record<string, string> = {};
  for (const [k, x] of entries) out[str(k, `${field} key`, 256)] = str(x, `${field}.${k}`, 1024);
  return out;
}

function optional<T>(o: Record<string, unknown>, k: string, check: (v: unknown, f: string) => T): { [key: string]: T } {
  return o[k] === undefined ? {} : { [k]: check(o[k], k) };
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(field, 'an object', v);
  return v as Record<string, unknown>;
}

/** Validate a register input. */
export function registerInput(v: unknown): RegisterInput {
  const o = obj(v, 'register');
  return {
    id: nodeId(o.id),
    hostname: str(o.hostname, 'hostname', 256),
    address: str(o.address, 'address', 1024),
    ...optional(o, 'role', (x, f) => oneOf(x, f, NODE_ROLES)),
    ...optional(o, 'version', (x, f) => str(x, f, 64)),
    ...optional(o, 'labels', labels),
  } as RegisterInput;
}

/** Validate an update patch. */
export function updateInput(v: unknown): UpdateInput {
  const o = obj(v, 'update');
  return {
    ...optional(o, 'availability', (x, f) => oneOf<Availability>(x, f, AVAILABILITIES)),
    ...optional(o, 'status', (x, f) => oneOf<NodeStatus>(x, f, NODE_STATUSES)),
    ...optional(o, 'labels', labels),
    ...optional(o, 'hostname', (x, f) => str(x, f, 256)),
    ...optional(o, 'address', (x, f) => str(x, f, 1024)),
    ...optional(o, 'version', (x, f) => str(x, f, 64)),
  } as UpdateInput;
}

/** Validate a node id: non-empty, at most 256 chars. */
export function nodeId(v: unknown): string {
  return idField(v, 'id', 256);
}

/** Decode and validate a membership command payload. */
export function decodeMembershipCommand(v: unknown): MembershipCommand {
  const o = obj(v, 'command');
  switch (o.op) {
    case 'register': return { op: 'register', input: registerInput(o.input) };
    case 'update': return { op: 'update', id: nodeId(o.id), patch: updateInput(o.patch) };
    case 'setRole': return { op: 'setRole', id: nodeId(o.id), role: oneOf(o.role, 'role', NODE_ROLES) };
    case 'remove': return { op: 'remove', id: nodeId(o.id), force: o.force === true };
    default: return fail('op', 'register, update, setRole or remove', o.op);
  }
}

/** Encode a stored record. */
export function encodeNode(n: StoredNode): Uint8Array {
  return encodeValue(n);
}

/** Decode and validate a stored record. */
export function decodeNode(b: Uint8Array): StoredNode {
  const o = obj(decodeValue(b), 'node');
  return {
    id: nodeId(o.id),
    hostname: str(o.hostname, 'hostname', 256),
    address: str(o.address, 'address', 1024),
    role: oneOf(o.role, 'role', NODE_ROLES),
    availability: oneOf(o.availability, 'availability', AVAILABILITIES),
    status: oneOf(o.status, 'status', NODE_STATUSES),
    version: str(o.version, 'version', 64),
    labels: labels(o.labels),
    createdAt: finite(o.createdAt, 'createdAt'),
    updatedAt: finite(o.updatedAt, 'updatedAt'),
  };
}
