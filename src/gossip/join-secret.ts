/**
 * The join secret: only members that hold it can be listed.
 *
 * ## Trust model
 * Every alive record carries a proof: a MAC, keyed by the join secret, over
 * the cluster id and the whole record (member id, incarnation, address,
 * metadata). A member signs its own record whenever it changes (start,
 * refutation, new metadata); everybody else forwards the record with its
 * proof unchanged, through piggybacked gossip and anti-entropy alike. Every
 * member checks the proof of every alive record before it lets it into its
 * table (or lets it replace an older one), so admission is enforced end to
 * end at each member: a member that knows the secret cannot vouch for one
 * that does not, by mistake or by a bug, because the proof is checked again
 * at every hop. A record without a valid proof is dropped and counted
 * (`stats.joinRefused`); nothing else can add a member to the table.
 *
 * Replaying a captured record only repeats what its owner said (same id,
 * incarnation, address, metadata), which SWIM's merge rules treat as stale
 * wherever the news is already known. Members that are not listed are not
 * served: a join (anti-entropy) request, a ping-req or a pull of a large
 * payload from an unknown sender is refused, and a ping from one is answered
 * with a bare ack that carries no gossip. A refused join request is answered
 * with a `refused` notice, so the joiner reports an `AuthError` instead of
 * retrying in silence.
 *
 * What it does not do: authenticate suspect / dead news or the sender of a
 * packet, or hide anything. Without a keyring, anyone on the network can
 * read the gossip (and so capture a member's signed record) and forge
 * suspicions; the AES-GCM keyring protects every packet, the join secret
 * decides who can be a member. Use both on untrusted networks. Every holder
 * of the shared secret can sign a record for any id: it is a cluster
 * password, not a per-member identity.
 *
 * The MAC is behind {@link JoinAuthenticator}: synchronous, because the pure
 * core signs and checks inside one step (WebCrypto's HMAC only returns
 * Promises); the default is HMAC-SHA-256 truncated to 128 bits.
 * @module
 */
import type { AliveMsg } from '../codec/gossip.js';
import { InvalidConfigError } from '../errors.js';
import { equalBytesConstantTime, hmacSha256 } from '../util/sha256.js';

/** Signs and checks membership proofs. Must be synchronous, deterministic and side-effect free. */
export interface JoinAuthenticator {
  /** The proof of `message` under the signing secret. */
  sign(message: Uint8Array): Uint8Array;
  /** Whether `proof` is a valid proof of `message` under any accepted secret (for rotation). */
  verify(message: Uint8Array, proof: Uint8Array): boolean;
}

/** A join secret: a string (UTF-8) or bytes, at least {@link MIN_JOIN_SECRET_BYTES} long. */
export type JoinSecret = string | Uint8Array;

/** Shortest accepted join secret, in bytes. */
export const MIN_JOIN_SECRET_BYTES = 16;
/** Bytes of a proof made by {@link hmacJoinAuthenticator}. */
export const JOIN_PROOF_BYTES = 16;

const utf8 = new TextEncoder();

function secretBytes(s: unknown, i: number): Uint8Array {
  const b = typeof s === 'string' ? utf8.encode(s) : s instanceof Uint8Array ? s.slice() : null;
  if (b === null || b.byteLength < MIN_JOIN_SECRET_BYTES) {
    const got = b === null ? typeof s : `${b.byteLength} bytes`;
    throw new InvalidConfigError(`joinSecret[${i}]: expected a string or Uint8Array of at least ${MIN_JOIN_SECRET_BYTES} bytes, got ${got}`);
  }
  return b;
}

/**
 * Check a join secret option and return it as a list.
 * @throws InvalidConfigError if there is no secret or one is shorter than 16 bytes.
 */
export function checkJoinSecrets(secrets: JoinSecret | readonly JoinSecret[]): JoinSecret[] {
  const list = (Array.isArray(secrets) ? [...secrets] : [secrets]) as JoinSecret[];
  if (list.length === 0) throw new InvalidConfigError('joinSecret: expected at least one secret, got an empty list');
  list.forEach(secretBytes);
  return list;
}

/**
 * The default authenticator: HMAC-SHA-256 truncated to 16 bytes. The first
 * secret signs; every secret verifies, so a secret rotates without downtime
 * (add the new one second everywhere, then first everywhere, then drop the old).
 *
 * @example
 * ```ts
 * const auth = hmacJoinAuthenticator(['new secret, 16+ bytes', 'old secret, 16+ bytes']);
 * ```
 * @throws InvalidConfigError if there is no secret or one is shorter than 16 bytes.
 */
export function hmacJoinAuthenticator(secrets: JoinSecret | readonly JoinSecret[]): JoinAuthenticator {
  const keys = checkJoinSecrets(secrets).map(secretBytes);
  const mac = (key: Uint8Array, m: Uint8Array) => hmacSha256(key, m).subarray(0, JOIN_PROOF_BYTES);
  return {
    sign: (m) => mac(keys[0]!, m),
    verify: (m, proof) => keys.some((k) => equalBytesConstantTime(mac(k, m), proof)),
  };
}

/** The bytes a proof covers: a domain tag, the cluster id and every field of the alive record. */
export function proofMessage(clusterId: string, m: Pick<AliveMsg, 'id' | 'inc' | 'addr' | 'meta'>): Uint8Array {
  const parts = [utf8.encode('quorumkit/gossip-join/1'), utf8.encode(clusterId), utf8.encode(m.id), utf8.encode(m.addr), m.meta];
  let n = 4;
  for (const p of parts) n += 4 + p.byteLength;
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  let at = 0;
  // Length-prefixed, so no two different records give the same bytes.
  for (const p of parts) {
    v.setUint32(at, p.byteLength);
    out.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  v.setUint32(at, m.inc);
  return out;
}

/**
 * A core's admission state: the authenticator, the proof of each listed
 * member's current record (to forward it with anti-entropy), and this
 * member's own proof, re-signed only when its record changes.
 */
export class JoinGate {
  private readonly proofs = new Map<number, Uint8Array>();
  private own: { key: string; meta: Uint8Array; proof: Uint8Array } | null = null;

  constructor(
    private readonly auth: JoinAuthenticator,
    private readonly clusterId: string,
  ) {}

  /** Whether `m` carries a valid proof. */
  admits(m: AliveMsg): boolean {
    return m.proof !== undefined && this.auth.verify(proofMessage(this.clusterId, m), m.proof);
  }

  /** Remember the proof of member `i`'s current record. */
  remember(i: number, proof: Uint8Array | undefined): void {
    if (proof === undefined) this.proofs.delete(i);
    else this.proofs.set(i, proof);
  }

  /** The proof of member `i`'s current record, if known. */
  proofOf(i: number): Uint8Array | undefined {
    return this.proofs.get(i);
  }

  /** Drop what is kept about a forgotten member. */
  forget(i: number): void {
    this.proofs.delete(i);
  }

  /** Sign a record (this member's own, or one a simulator preloads). */
  sign(m: Pick<AliveMsg, 'id' | 'inc' | 'addr' | 'meta'>): Uint8Array {
    return this.auth.sign(proofMessage(this.clusterId, m));
  }

  /** This member's own proof for its current record, signed once per change. */
  ownProof(m: Pick<AliveMsg, 'id' | 'inc' | 'addr' | 'meta'>): Uint8Array {
    const key = `${m.inc}\u0000${m.addr}`;
    if (this.own === null || this.own.key !== key || this.own.meta !== m.meta) this.own = { key, meta: m.meta, proof: this.sign(m) };
    return this.own.proof;
  }
}
