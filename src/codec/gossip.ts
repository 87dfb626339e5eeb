/**
 * Gossip wire messages: a discriminated union, encoded as compact arrays
 * `[tag, ...fields]` inside a versioned envelope
 * `[version, clusterId, fromId, [message, ...]]`. Numeric tags are only ever
 * appended, never reused. Every decoded field is validated here, so the
 * gossip core only ever sees well-typed, range-checked values.
 * @module
 */
import { DecodeError } from '../errors.js';
import { decodeValue, encodeValue } from './msgpack.js';
import { arr, bool, bytes as rawBytes, fail, id, intIn, str, uint } from './validate.js';

/** Validated bytes as a plain Uint8Array view (msgpackr gives Node Buffers; users get the same type everywhere). */
function bytes(v: unknown, field: string, maxLen: number): Uint8Array {
  const b = rawBytes(v, field, maxLen);
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Envelope version written by this build. */
export const GOSSIP_WIRE_VERSION = 1;

/** Direct probe. `target` is the id the sender means to reach (an address may have been reused). */
export interface PingMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'ping';
  /** Probe sequence number chosen by the sender (the prober, or a relay for a ping-req); echoed in the ack. */
  seq: number;
  /** Id of the member the sender means to reach; a receiver with another id ignores the ping. */
  target: string;
}
/** Answer to a ping. */
export interface AckMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'ack';
  /** The `seq` of the ping (or ping-req, when a relay forwards it) being answered. */
  seq: number;
}
/** A relay's "I asked, the target did not answer" (Lifeguard). */
export interface NackMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'nack';
  /** The `seq` of the origin's ping-req this relay is answering. */
  seq: number;
}
/** Ask a relay to probe `target` at `addr` on the sender's behalf. */
export interface PingReqMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'pingReq';
  /** The origin's probe sequence number; the relay answers with an ack or nack carrying it. */
  seq: number;
  /** Id of the member to probe. */
  target: string;
  /** Transport address of `target`, as the origin knows it. */
  addr: string;
}
/** A member is alive at an incarnation, with its address and metadata. */
export interface AliveMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'alive';
  /** Id of the member this record is about. */
  id: string;
  /** The member's incarnation (0 to 2^32-1); only the member itself raises it. */
  inc: number;
  /** The member's transport address. */
  addr: string;
  /** The member's metadata blob (at most `maxMetaBytes`). */
  meta: Uint8Array;
  /**
   * Join-secret proof over the cluster id and this record (see `join-secret.ts`); absent when
   * the sender runs without a join secret. On the wire, an optional sixth field.
   */
  proof?: Uint8Array;
}
/** `by` suspects `id` at `inc`. */
export interface SuspectMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'suspect';
  /** Id of the suspected member. */
  id: string;
  /** Incarnation of the suspected member the suspicion applies to. */
  inc: number;
  /** Id of the member that suspects it (counts as one independent confirmation). */
  by: string;
}
/** `id` is dead (or left, when `left`) at `inc`, as declared by `by`. */
export interface DeadMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'dead';
  /** Id of the dead or departed member. */
  id: string;
  /** Incarnation of the member the record applies to. */
  inc: number;
  /** Id of the member that declared it (the member itself on a leave; the sender when re-sent from its table). */
  by: string;
  /** True when the member left gracefully rather than being declared dead. */
  left: boolean;
}
/** One fragment of a user broadcast. */
export interface UserMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'user';
  /** Id of the member that broadcast the payload. */
  origin: string;
  /** Broadcast id, unique per origin: a 32-bit counter that starts at a random value each start. */
  mid: number;
  /** Index of this fragment, 0 to `total - 1`. */
  idx: number;
  /** Number of fragments of the broadcast (1 to 65535). */
  total: number;
  /** This fragment's bytes of the payload. */
  data: Uint8Array;
}
/** One entry of a member's user key/value table; `value === null` is a tombstone. */
export interface KvMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'kv';
  /** Id of the member whose table the entry belongs to (only the owner writes it). */
  owner: string;
  /** Entry key (1 to 1024 chars). */
  key: string;
  /** Version set by the owner: incarnation · 1,000,000 + write counter; higher wins. */
  ver: number;
  /** Entry value, or `null` for a deletion (tombstone). */
  value: Uint8Array | null;
}
/**
 * Anti-entropy request: "send me what changed in your table since `since`
 * (a sequence in your log with epoch `sinceEpoch`)". The sender's own log
 * position comes along so the reply can ask for the sender's changes too.
 */
export interface SyncReqMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'syncReq';
  /** The sender's change-log epoch (random, new at every start). */
  epoch: number;
  /** The sender's latest change sequence (its log position). */
  seq: number;
  /** Change sequence in the receiver's log after which rows are wanted (0: everything). */
  since: number;
  /** The receiver's epoch `since` refers to; on a mismatch the receiver sends its whole table. */
  sinceEpoch: number;
  /** Last change sequence wanted (0: up to the receiver's latest). */
  until: number;
  /** Whether the receiver should send a request of its own back, to get the sender's changes. */
  reply: boolean;
}
/**
 * Anti-entropy answer header: the update messages after it in the packet
 * are the sender's rows with change sequence in (lo, hi] (epoch `epoch`),
 * part of an answer that covers up to `seq`.
 */
export interface SyncRespMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'syncResp';
  /** The sender's change-log epoch. */
  epoch: number;
  /** Change sequence the whole answer covers up to (the same in every part). */
  seq: number;
  /** Exclusive start of the change-sequence range this part covers. */
  lo: number;
  /** Inclusive end of the change-sequence range this part covers (at least `lo`). */
  hi: number;
}

/**
 * Anti-entropy by digest: one step of comparing two members' two-level hash
 * trees of their tables (top buckets of leaves; see `DIGEST_FANOUT`).
 * Level 0: `hashes` are the sender's top-bucket hashes (the opening).
 * Level 1: `items` are top buckets that differ; `hashes` the sender's leaf
 * hashes of each, in order. Level 2: "send me your rows of leaves `items`".
 * Level 3: the update messages after this header are the sender's rows of
 * the leaves that differ (merged as anti-entropy, not re-gossiped).
 */
export interface DigestMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'digest';
  /** The step (0 to 3, see above). */
  level: number;
  /** Top buckets (level 1) or leaves (level 2); empty otherwise. */
  items: number[];
  /** 32-bit hashes, 4 bytes each, big-endian: `DIGEST_FANOUT` at level 0, that many per item at level 1, none otherwise. */
  hashes: Uint8Array;
}

/** Number of top buckets, and of leaves per top bucket, of the anti-entropy digest. */
export const DIGEST_FANOUT = 32;

/** "Your join request was refused: your record has no valid join-secret proof." No fields. */
export interface RefusedMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'refused';
}
/**
 * "I hold this large payload; pull it from me": announces a user broadcast
 * or key/value entry too large for a datagram, which then travels over the
 * transport's reliable stream, once per member, instead of being
 * fragmented and retransmitted over datagrams.
 */
export interface HaveMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'have';
  /** What is held: a user broadcast, or a key/value entry. */
  kind: 'user' | 'kv';
  /** The broadcast's origin, or the key/value entry's owner. */
  owner: string;
  /** The key/value entry's key; empty for a broadcast. */
  key: string;
  /** The broadcast id (`mid`), or the key/value entry's version. */
  ver: number;
}
/** Ask the sender of a {@link HaveMsg} for the payload; it answers over its reliable stream. */
export interface WantMsg {
  /** Message tag (discriminant); on the wire, a numeric tag. */
  t: 'want';
  /** What is wanted (as in the {@link HaveMsg}). */
  kind: 'user' | 'kv';
  /** The broadcast's origin, or the key/value entry's owner. */
  owner: string;
  /** The key/value entry's key; empty for a broadcast. */
  key: string;
  /** The broadcast id, or the key/value entry's version. */
  ver: number;
}

/** Updates that spread by piggybacking and by anti-entropy. */
export type UpdateMsg = AliveMsg | SuspectMsg | DeadMsg | UserMsg | KvMsg | HaveMsg;
/** Every gossip message. */
export type GossipMsg = PingMsg | AckMsg | NackMsg | PingReqMsg | SyncReqMsg | SyncRespMsg | DigestMsg | RefusedMsg | WantMsg | UpdateMsg;

/** A decoded packet: who sent it, for which cluster, and its messages. */
export interface GossipEnvelope { clusterId: string; from: string; msgs: GossipMsg[] }

/** Limits applied while decoding. */
export interface GossipDecodeLimits {
  /** Largest accepted packet in bytes. */
  maxPacketBytes: number;
  /** Largest metadata blob. */
  maxMetaBytes: number;
}

const TAG = { ping: 1, ack: 2, nack: 3, pingReq: 4, alive: 5, suspect: 6, dead: 7, user: 8, syncReq: 9, syncResp: 10, kv: 11, digest: 12, refused: 13, have: 14, want: 15 } as const;
const KINDS = ['user', 'kv'] as const;
/** Largest join-secret proof accepted. */
const MAX_PROOF_BYTES = 64;

function toWire(m: GossipMsg): unknown[] {
  switch (m.t) {
    case 'ping': return [TAG.ping, m.seq, m.target];
    case 'ack': return [TAG.ack, m.seq];
    case 'nack': return [TAG.nack, m.seq];
    case 'pingReq': return [TAG.pingReq, m.seq, m.target, m.addr];
    case 'alive': return m.proof === undefined ? [TAG.alive, m.id, m.inc, m.addr, m.meta] : [TAG.alive, m.id, m.inc, m.addr, m.meta, m.proof];
    case 'suspect': return [TAG.suspect, m.id, m.inc, m.by];
    case 'dead': return [TAG.dead, m.id, m.inc, m.by, m.left];
    case 'user': return [TAG.user, m.origin, m.mid, m.idx, m.total, m.data];
    case 'kv': return [TAG.kv, m.owner, m.key, m.ver, m.value];
    case 'syncReq': return [TAG.syncReq, m.epoch, m.seq, m.since, m.sinceEpoch, m.reply, m.until];
    case 'syncResp': return [TAG.syncResp, m.epoch, m.seq, m.lo, m.hi];
    case 'digest': return [TAG.digest, m.level, m.items, m.hashes];
    case 'refused': return [TAG.refused];
    case 'have': case 'want': return [TAG[m.t], KINDS.indexOf(m.kind), m.owner, m.key, m.ver];
  }
}

/** Encode one packet (plaintext; the driver encrypts it). */
export function encodeGossipPacket(clusterId: string, from: string, msgs: readonly GossipMsg[]): Uint8Array {
  return encodeValue([GOSSIP_WIRE_VERSION, clusterId, from, msgs.map(toWire)]);
}

/** Decode and validate one packet; throws {@link DecodeError} on any malformed field. */
export function decodeGossipPacket(buf: Uint8Array, limits: GossipDecodeLimits): GossipEnvelope {
  const top = arr(decodeValue(buf, limits.maxPacketBytes), 'packet', 4);
  if (top.length !== 4) fail('packet', 'an envelope of 4 items', top);
  const version = uint(top[0], 'version');
  if (version !== GOSSIP_WIRE_VERSION) throw new DecodeError(`Unsupported gossip wire version ${version}`);
  const clusterId = str(top[1], 'clusterId', 256);
  const from = id(top[2], 'from');
  const raw = arr(top[3], 'msgs', 4096);
  return { clusterId, from, msgs: raw.map((r, i) => fromWire(r, `msgs[${i}]`, limits)) };
}

const U32 = 0xffff_ffff;

function fromWire(raw: unknown, f: string, limits: GossipDecodeLimits): GossipMsg {
  const a = arr(raw, f, 8);
  const tag = uint(a[0], `${f}.tag`);
  switch (tag) {
    case TAG.ping: return { t: 'ping', seq: uint(a[1], `${f}.seq`), target: id(a[2], `${f}.target`) };
    case TAG.ack: return { t: 'ack', seq: uint(a[1], `${f}.seq`) };
    case TAG.nack: return { t: 'nack', seq: uint(a[1], `${f}.seq`) };
    case TAG.pingReq:
      return { t: 'pingReq', seq: uint(a[1], `${f}.seq`), target: id(a[2], `${f}.target`), addr: id(a[3], `${f}.addr`) };
    case TAG.alive: {
      const m: AliveMsg = { t: 'alive', id: id(a[1], `${f}.id`), inc: intIn(a[2], `${f}.inc`, 0, U32), addr: id(a[3], `${f}.addr`), meta: bytes(a[4], `${f}.meta`, limits.maxMetaBytes) };
      if (a.length > 5) m.proof = bytes(a[5], `${f}.proof`, MAX_PROOF_BYTES);
      return m;
    }
    case TAG.suspect:
      return { t: 'suspect', id: id(a[1], `${f}.id`), inc: intIn(a[2], `${f}.inc`, 0, U32), by: id(a[3], `${f}.by`) };
    case TAG.dead:
      return { t: 'dead', id: id(a[1], `${f}.id`), inc: intIn(a[2], `${f}.inc`, 0, U32), by: id(a[3], `${f}.by`), left: bool(a[4], `${f}.left`) };
    case TAG.user: return userFromWire(a, f, limits);
    case TAG.kv: {
      const value = a[4] === null ? null : bytes(a[4], `${f}.value`, limits.maxPacketBytes);
      return { t: 'kv', owner: id(a[1], `${f}.owner`), key: str(a[2], `${f}.key`, 1024), ver: uint(a[3], `${f}.ver`), value };
    }
    case TAG.syncReq:
      return { t: 'syncReq', epoch: intIn(a[1], `${f}.epoch`, 0, U32), seq: uint(a[2], `${f}.seq`), since: uint(a[3], `${f}.since`), sinceEpoch: intIn(a[4], `${f}.sinceEpoch`, 0, U32), reply: bool(a[5], `${f}.reply`), until: uint(a[6], `${f}.until`) };
    case TAG.syncResp: {
      const lo = uint(a[3], `${f}.lo`);
      return { t: 'syncResp', epoch: intIn(a[1], `${f}.epoch`, 0, U32), seq: uint(a[2], `${f}.seq`), lo, hi: intIn(a[4], `${f}.hi`, lo, Number.MAX_SAFE_INTEGER) };
    }
    case TAG.digest: return digestFromWire(a, f);
    case TAG.refused: return { t: 'refused' };
    case TAG.have: case TAG.want:
      return { t: tag === TAG.have ? 'have' : 'want', kind: KINDS[intIn(a[1], `${f}.kind`, 0, KINDS.length - 1)]!, owner: id(a[2], `${f}.owner`), key: str(a[3], `${f}.key`, 1024), ver: uint(a[4], `${f}.ver`) };
    default:
      throw new DecodeError(`Field ${f}.tag: unknown message tag ${tag}`);
  }
}

const DIGEST_LEAVES = DIGEST_FANOUT * DIGEST_FANOUT;

function digestFromWire(a: unknown[], f: string): DigestMsg {
  const level = intIn(a[1], `${f}.level`, 0, 3);
  const bound = level === 1 ? DIGEST_FANOUT : DIGEST_LEAVES;
  const items = arr(a[2], `${f}.items`, level === 1 || level === 2 ? DIGEST_LEAVES : 0).map((v, i) => intIn(v, `${f}.items[${i}]`, 0, bound - 1));
  const hashes = bytes(a[3], `${f}.hashes`, 4 * DIGEST_FANOUT * DIGEST_FANOUT);
  const want = level === 0 ? 4 * DIGEST_FANOUT : level === 1 ? 4 * DIGEST_FANOUT * items.length : 0;
  if (hashes.byteLength !== want) fail(`${f}.hashes`, `${want} bytes`, `${hashes.byteLength} bytes`);
  return { t: 'digest', level, items, hashes };
}

function userFromWire(a: unknown[], f: string, limits: GossipDecodeLimits): UserMsg {
  const total = intIn(a[4], `${f}.total`, 1, 65535);
  return {
    t: 'user',
    origin: id(a[1], `${f}.origin`),
    mid: intIn(a[2], `${f}.mid`, 0, U32),
    idx: intIn(a[3], `${f}.idx`, 0, total - 1),
    total,
    data: bytes(a[5], `${f}.data`, limits.maxPacketBytes),
  };
}

/** Upper bound of a msgpack unsigned integer's size. */
function uintSize(v: number): number {
  return v < 128 ? 1 : v < 256 ? 2 : v < 65_536 ? 3 : v < 4_294_967_296 ? 5 : 9;
}

/** Upper bound of a msgpack string's size (UTF-8: at most 3 bytes a UTF-16 unit). */
function strSize(v: string): number {
  let n = v.length;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0x7f) n += 2;
  return (n < 32 ? 1 : n < 256 ? 2 : n < 65_536 ? 3 : 5) + n;
}

/** Upper bound of a msgpack binary's size. */
function binSize(v: Uint8Array): number {
  const n = v.byteLength;
  return (n < 256 ? 2 : n < 65_536 ? 3 : 5) + n;
}

/**
 * An upper bound of a message's encoded size in bytes (msgpack's size
 * rules), used to fill packets without encoding each candidate.
 */
export function estimateSize(m: GossipMsg): number {
  switch (m.t) {
    case 'ping': return 2 + uintSize(m.seq) + strSize(m.target);
    case 'ack': case 'nack': return 2 + uintSize(m.seq);
    case 'pingReq': return 2 + uintSize(m.seq) + strSize(m.target) + strSize(m.addr);
    case 'alive': return 2 + strSize(m.id) + uintSize(m.inc) + strSize(m.addr) + binSize(m.meta) + (m.proof === undefined ? 0 : binSize(m.proof));
    case 'suspect': return 2 + strSize(m.id) + uintSize(m.inc) + strSize(m.by);
    case 'dead': return 3 + strSize(m.id) + uintSize(m.inc) + strSize(m.by);
    case 'user': return 2 + strSize(m.origin) + uintSize(m.mid) + uintSize(m.idx) + uintSize(m.total) + binSize(m.data);
    case 'kv': return 2 + strSize(m.owner) + strSize(m.key) + uintSize(m.ver) + (m.value === null ? 1 : binSize(m.value));
    case 'syncReq': return 3 + uintSize(m.epoch) + uintSize(m.seq) + uintSize(m.since) + uintSize(m.sinceEpoch) + uintSize(m.until);
    case 'syncResp': return 2 + uintSize(m.epoch) + uintSize(m.seq) + uintSize(m.lo) + uintSize(m.hi);
    case 'digest': {
      let items = m.items.length < 16 ? 1 : 3;
      for (const v of m.items) items += uintSize(v);
      return 3 + items + binSize(m.hashes);
    }
    case 'refused': return 2;
    case 'have': case 'want': return 3 + strSize(m.owner) + strSize(m.key) + uintSize(m.ver);
  }
}

/**
 * Envelope overhead besides the two id strings: the array header, the
 * version and the messages array header (up to 3 bytes). Encryption, when
 * the driver applies it, comes on top (see `GossipCoreDeps.encrypted`).
 */
export const ENVELOPE_OVERHEAD = 1 + 1 + 3;

/** Upper bound of an encoded packet's size besides its messages: the envelope with both ids. */
export function envelopeSize(clusterId: string, from: string): number {
  return ENVELOPE_OVERHEAD + strSize(clusterId) + strSize(from);
}
