/**
 * Wire format of Raft messages. A frame is `[version, [message, …]]` in
 * msgpack followed by a 4-byte little-endian CRC-32C of those bytes (msgpack
 * has no checksum, and a flipped bit in a term or an index would otherwise
 * decode into a valid, wrong message). Each message is an array led by its
 * numeric tag, so the frame is compact and every field is checked by
 * position on the way in. Tags are only appended.
 * @module
 */
import { DecodeError } from '../errors.js';
import { crc32c, crc32cUpdate } from '../util/crc32c.js';
import { validateStoredConfig } from '../raft/core/confchange.js';
import { EntryType, MsgType, type Entry, type EntryTypeValue, type Message, type SnapshotConfig } from '../raft/core/types.js';
import { DEFAULT_MAX_FRAME_BYTES, decodeValue, encodeValue } from './msgpack.js';
import { arr, bool, bytes, id, str, uint } from './validate.js';

/** Version of the Raft wire protocol carried by every frame. */
export const RAFT_PROTOCOL_VERSION = 2;

/** Bytes of the CRC-32C trailer of a frame. */
const CRC_BYTES = 4;

/** Largest number of messages in one frame. */
const MAX_MESSAGES_PER_FRAME = 100_000;
/** Largest number of entries in one message. */
const MAX_ENTRIES_PER_MESSAGE = 1_000_000;

function encodeEntry(e: Entry): unknown[] {
  return e.origin === undefined ? [e.term, e.index, e.type, e.data] : [e.term, e.index, e.type, e.data, e.origin, e.seq];
}

/**
 * Entries travel column-wise — terms, indexes, types, data lengths, one
 * concatenated data blob, then origins and sequence numbers or null — so a
 * batch of N entries costs a handful of arrays instead of N, on both ends.
 */
function encodeEntries(entries: readonly Entry[]): unknown[] {
  const n = entries.length;
  const terms = new Array<number>(n);
  const indexes = new Array<number>(n);
  const types = new Array<number>(n);
  const lengths = new Array<number>(n);
  let total = 0;
  let forwarded = false;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    terms[i] = e.term;
    indexes[i] = e.index;
    types[i] = e.type;
    lengths[i] = e.data.byteLength;
    total += e.data.byteLength;
    if (e.origin !== undefined) forwarded = true;
  }
  const blob = new Uint8Array(total);
  let off = 0;
  for (const e of entries) {
    blob.set(e.data, off);
    off += e.data.byteLength;
  }
  const origins = forwarded ? entries.map((e) => e.origin ?? null) : null;
  const seqs = forwarded ? entries.map((e) => e.seq ?? null) : null;
  return [terms, indexes, types, lengths, blob, origins, seqs];
}

function encodeMessage(m: Message): unknown[] {
  const head = [m.type, m.term, m.from, m.to];
  switch (m.type) {
    case MsgType.Vote:
    case MsgType.PreVote:
      return [...head, m.lastIndex, m.lastTerm, m.force];
    case MsgType.VoteResp:
    case MsgType.PreVoteResp:
      return [...head, m.reject];
    case MsgType.App:
      return [...head, m.prevIndex, m.prevTerm, encodeEntries(m.entries), m.commit];
    case MsgType.AppResp:
      return [...head, m.index, m.reject, m.hintIndex, m.hintTerm];
    case MsgType.Heartbeat:
      return [...head, m.commit, m.ctx];
    case MsgType.HeartbeatResp:
      return [...head, m.ctx];
    case MsgType.Prop:
      return [...head, encodeEntries(m.entries)];
    case MsgType.ReadIndex:
      return [...head, m.ctx];
    case MsgType.ReadIndexResp:
      return [...head, m.ctx, m.index];
    case MsgType.TimeoutNow:
      return head;
    case MsgType.Snapshot:
      return [...head, m.index, m.snapTerm, JSON.stringify(m.config), m.offset, m.total, m.data, m.done];
    case MsgType.SnapshotResp:
      return [...head, m.index, m.offset, m.reject];
  }
}

/**
 * Encode messages into one frame.
 *
 * @example
 * ```ts
 * const frame = encodeRaftFrame([msg]);
 * const [again] = decodeRaftFrame(frame);
 * ```
 */
export function encodeRaftFrame(messages: readonly Message[]): Uint8Array {
  // All messages of a frame come from one node, so the epoch travels once, and only when raised.
  let epoch = 0;
  for (const m of messages) if ((m.epoch ?? 0) > epoch) epoch = m.epoch!;
  const body = messages.map(encodeMessage);
  const packed = encodeValue(epoch > 0 ? [RAFT_PROTOCOL_VERSION, body, epoch] : [RAFT_PROTOCOL_VERSION, body]);
  const n = packed.byteLength;
  const frame = allocFrame(n + CRC_BYTES);
  frame.set(packed);
  const crc = crc32c(packed);
  frame[n] = crc & 0xff;
  frame[n + 1] = (crc >>> 8) & 0xff;
  frame[n + 2] = (crc >>> 16) & 0xff;
  frame[n + 3] = crc >>> 24;
  return frame;
}

/** Node's Buffer when there is one: msgpackr decodes a Buffer faster than a plain Uint8Array. */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafe(n: number): Uint8Array } }).Buffer;

function allocFrame(n: number): Uint8Array {
  return NodeBuffer !== undefined ? NodeBuffer.allocUnsafe(n) : new Uint8Array(n);
}

/**
 * The version a frame announces, read without decoding: a msgpack array of 2
 * or 3 whose first item is a positive fixint. Undefined for anything else.
 */
function peekVersion(frame: Uint8Array): number | undefined {
  const head = frame[0];
  const v = frame[1];
  return (head === 0x92 || head === 0x93) && v !== undefined && v < 0x80 ? v : undefined;
}

/** The msgpack part of a frame whose CRC-32C trailer matches; throws {@link DecodeError} otherwise. */
function checkedBody(frame: Uint8Array, maxBytes: number): Uint8Array {
  if (!(frame instanceof Uint8Array)) throw new DecodeError('Expected a Uint8Array frame');
  if (frame.byteLength > maxBytes) throw new DecodeError(`Frame of ${frame.byteLength} bytes exceeds the limit of ${maxBytes}`);
  const version = peekVersion(frame);
  // A peer speaking another version gets a clear error rather than a checksum mismatch.
  if (version !== undefined && version !== RAFT_PROTOCOL_VERSION) throw new DecodeError(`Frame: unsupported protocol version ${version}`);
  if (frame.byteLength <= CRC_BYTES) throw new DecodeError(`Frame of ${frame.byteLength} bytes is too short for its checksum`);
  const end = frame.byteLength - CRC_BYTES;
  const body = frame.subarray(0, end);
  const want = (frame[end]! | (frame[end + 1]! << 8) | (frame[end + 2]! << 16) | (frame[end + 3]! << 24)) >>> 0;
  if (crc32cUpdate(0, frame, 0, end) !== want) throw new DecodeError('Frame: CRC-32C mismatch (corrupted in transit)');
  return body;
}

/**
 * Decode and validate a frame. Throws {@link DecodeError} on anything
 * malformed, oversized (checked before decoding), of another version or
 * whose CRC-32C does not match.
 */
export function decodeRaftFrame(frame: Uint8Array, maxBytes = DEFAULT_MAX_FRAME_BYTES): Message[] {
  const v = decodeValue(checkedBody(frame, maxBytes), maxBytes);
  const top = arr(v, 'frame', 3);
  if (top.length !== 2 && top.length !== 3) throw new DecodeError('Frame: expected [version, messages, epoch?]');
  if (top[0] !== RAFT_PROTOCOL_VERSION) throw new DecodeError(`Frame: unsupported protocol version ${String(top[0])}`);
  const list = arr(top[1], 'messages', MAX_MESSAGES_PER_FRAME);
  const epoch = top.length === 3 ? uint(top[2], 'epoch') : 0;
  const msgs = list.map((m, i) => decodeMessage(m, `messages[${i}]`));
  return epoch > 0 ? msgs.map((m) => ({ ...m, epoch })) : msgs;
}

function fieldsOf(v: unknown, where: string, n: number): unknown[] {
  const a = arr(v, where, 16);
  if (a.length !== n) throw new DecodeError(`${where}: expected ${n} fields, got ${a.length}`);
  return a;
}

const FIELD_COUNT: Record<number, number> = {
  [MsgType.Vote]: 7,
  [MsgType.PreVote]: 7,
  [MsgType.VoteResp]: 5,
  [MsgType.PreVoteResp]: 5,
  [MsgType.App]: 8,
  [MsgType.AppResp]: 8,
  [MsgType.Heartbeat]: 6,
  [MsgType.HeartbeatResp]: 5,
  [MsgType.Prop]: 5,
  [MsgType.ReadIndex]: 5,
  [MsgType.ReadIndexResp]: 6,
  [MsgType.TimeoutNow]: 4,
  [MsgType.Snapshot]: 11,
  [MsgType.SnapshotResp]: 7,
};

function decodeMessage(v: unknown, where: string): Message {
  const head = arr(v, where, 16);
  const type = head[0];
  const n = typeof type === 'number' ? FIELD_COUNT[type] : undefined;
  if (n === undefined) throw new DecodeError(`${where}: unknown message type ${String(type)}`);
  const f = fieldsOf(v, where, n);
  const base = { term: uint(f[1], `${where}.term`), from: id(f[2], `${where}.from`), to: id(f[3], `${where}.to`) };
  switch (type) {
    case MsgType.Vote:
    case MsgType.PreVote:
      return { type, ...base, lastIndex: uint(f[4], `${where}.lastIndex`), lastTerm: uint(f[5], `${where}.lastTerm`), force: bool(f[6], `${where}.force`) };
    case MsgType.VoteResp:
    case MsgType.PreVoteResp:
      return { type, ...base, reject: bool(f[4], `${where}.reject`) };
    case MsgType.App:
      return {
        type,
        ...base,
        prevIndex: uint(f[4], `${where}.prevIndex`),
        prevTerm: uint(f[5], `${where}.prevTerm`),
        entries: decodeEntries(f[6], `${where}.entries`),
        commit: uint(f[7], `${where}.commit`),
      };
    case MsgType.AppResp:
      return {
        type,
        ...base,
        index: uint(f[4], `${where}.index`),
        reject: bool(f[5], `${where}.reject`),
        hintIndex: uint(f[6], `${where}.hintIndex`),
        hintTerm: uint(f[7], `${where}.hintTerm`),
      };
    case MsgType.Heartbeat:
      return { type, ...base, commit: uint(f[4], `${where}.commit`), ctx: uint(f[5], `${where}.ctx`) };
    case MsgType.HeartbeatResp:
      return { type, ...base, ctx: uint(f[4], `${where}.ctx`) };
    case MsgType.Prop:
      return { type, ...base, entries: decodeEntries(f[4], `${where}.entries`) };
    case MsgType.ReadIndex:
      return { type, ...base, ctx: uint(f[4], `${where}.ctx`) };
    case MsgType.ReadIndexResp:
      return { type, ...base, ctx: uint(f[4], `${where}.ctx`), index: uint(f[5], `${where}.index`) };
    case MsgType.Snapshot:
      return {
        type,
        ...base,
        index: uint(f[4], `${where}.index`),
        snapTerm: uint(f[5], `${where}.snapTerm`),
        config: decodeSnapshotConfig(f[6], `${where}.config`),
        offset: uint(f[7], `${where}.offset`),
        total: uint(f[8], `${where}.total`),
        data: bytes(f[9], `${where}.data`),
        done: bool(f[10], `${where}.done`),
      };
    case MsgType.SnapshotResp:
      return { type, ...base, index: uint(f[4], `${where}.index`), offset: uint(f[5], `${where}.offset`), reject: bool(f[6], `${where}.reject`) };
    default:
      return { type: MsgType.TimeoutNow, ...base };
  }
}

function decodeSnapshotConfig(v: unknown, where: string): SnapshotConfig {
  const text = str(v, where, 4 * 1024 * 1024);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DecodeError(`${where}: not JSON`);
  }
  const c = validateStoredConfig(parsed);
  if (c === null) throw new DecodeError(`${where}: not a valid configuration`);
  return c;
}

const ENTRY_TYPES = new Set<number>(Object.values(EntryType));

function decodeEntries(v: unknown, where: string): Entry[] {
  const cols = arr(v, where, 7);
  if (cols.length !== 7) throw new DecodeError(`${where}: expected 7 columns, got ${cols.length}`);
  const terms = arr(cols[0], `${where}.terms`, MAX_ENTRIES_PER_MESSAGE);
  const n = terms.length;
  const indexes = sameLength(cols[1], n, `${where}.indexes`);
  const types = sameLength(cols[2], n, `${where}.types`);
  const lengths = sameLength(cols[3], n, `${where}.lengths`);
  const blob = bytes(cols[4], `${where}.blob`);
  const origins = cols[5] === null ? null : sameLength(cols[5], n, `${where}.origins`);
  const seqs = cols[6] === null ? null : sameLength(cols[6], n, `${where}.seqs`);
  const out = new Array<Entry>(n);
  let off = 0;
  for (let i = 0; i < n; i++) {
    // Checked inline: building a field name per entry would cost more than the decode itself.
    const len = lengths[i];
    const type = types[i];
    const term = terms[i];
    const index = indexes[i];
    if (!isUint(len) || !isUint(term) || !isUint(index) || !isUint(type)) throw new DecodeError(`${where}[${i}]: expected non-negative integers for term, index, type and length`);
    if (off + len > blob.byteLength) throw new DecodeError(`${where}: data lengths exceed the blob`);
    if (!ENTRY_TYPES.has(type)) throw new DecodeError(`${where}.types[${i}]: unknown entry type ${type}`);
    const data = new Uint8Array(blob.buffer, blob.byteOffset + off, len);
    off += len;
    const origin = origins?.[i] ?? null;
    out[i] = origin === null
      ? { term, index, type: type as EntryTypeValue, data }
      : { term, index, type: type as EntryTypeValue, data, origin: str(origin, `${where}.origins[${i}]`, 256), seq: uint(seqs?.[i], `${where}.seqs[${i}]`) };
  }
  if (off !== blob.byteLength) throw new DecodeError(`${where}: data lengths do not cover the blob`);
  return out;
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function sameLength(v: unknown, n: number, where: string): unknown[] {
  const a = arr(v, where, MAX_ENTRIES_PER_MESSAGE);
  if (a.length !== n) throw new DecodeError(`${where}: expected ${n} items, got ${a.length}`);
  return a;
}

/** Decode one entry (also used by storage adapters that keep entries in this form). */
export function decodeEntry(v: unknown, where: string): Entry {
  const f = arr(v, where, 6);
  if (f.length !== 4 && f.length !== 6) throw new DecodeError(`${where}: expected an entry of 4 or 6 fields, got ${f.length}`);
  const type = uint(f[2], `${where}.type`);
  if (!ENTRY_TYPES.has(type)) throw new DecodeError(`${where}.type: unknown entry type ${type}`);
  const e = { term: uint(f[0], `${where}.term`), index: uint(f[1], `${where}.index`), type: type as EntryTypeValue, data: bytes(f[3], `${where}.data`) };
  if (f.length === 4) return e;
  return { ...e, origin: str(f[4], `${where}.origin`, 256), seq: uint(f[5], `${where}.seq`) };
}

/** Encode one entry to its wire form (for storage adapters). */
export function encodeEntryValue(e: Entry): unknown[] {
  return encodeEntry(e);
}
