/**
 * The gossip encryption keyring: AES-256-GCM through WebCrypto (so it runs
 * in browsers, Deno and Bun as well as Node). The primary key encrypts;
 * every key decrypts, so keys rotate without downtime: add the new key
 * everywhere, make it primary everywhere, then remove the old one. The
 * cluster id is the additional authenticated data, so a packet of another
 * cluster fails to decrypt even under a shared key.
 * @module
 */
import { AuthError, InvalidInputError } from '../errors.js';

/** Packet layout: [format 1][12-byte nonce][ciphertext with 16-byte tag]. */
const FORMAT = 1;
const NONCE = 12;
/** Bytes of the random nonce that follows the format byte of an encrypted packet. */
export const NONCE_BYTES = NONCE;
/** Bytes encryption adds to a packet. */
export const ENCRYPTION_OVERHEAD = 1 + NONCE + 16;

/** The part of WebCrypto used here, typed structurally so no DOM or Node typings are needed. */
interface AesGcmParams { name: 'AES-GCM'; iv: Uint8Array; additionalData: Uint8Array }
interface SubtleLike {
  importKey(format: 'raw', key: Uint8Array, alg: { name: 'AES-GCM' }, extractable: boolean, uses: string[]): Promise<unknown>;
  encrypt(alg: AesGcmParams, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(alg: AesGcmParams, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}
interface CryptoLike { subtle?: SubtleLike; getRandomValues<T extends Uint8Array>(a: T): T }

interface Entry { raw: Uint8Array; key: unknown }

function webCrypto(): CryptoLike & { subtle: SubtleLike } {
  const c = (globalThis as unknown as { crypto?: CryptoLike }).crypto;
  if (c?.subtle === undefined) throw new AuthError('WebCrypto (globalThis.crypto.subtle) is not available in this runtime');
  return c as CryptoLike & { subtle: SubtleLike };
}

function subtle(): SubtleLike {
  return webCrypto().subtle;
}

function checkKey(raw: Uint8Array): void {
  if (!(raw instanceof Uint8Array) || raw.byteLength !== 32) {
    throw new InvalidInputError(`keyring key: expected 32 bytes (AES-256), got ${raw instanceof Uint8Array ? `${raw.byteLength} bytes` : typeof raw}`);
  }
}

async function importKey(raw: Uint8Array): Promise<unknown> {
  checkKey(raw);
  return subtle().importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

/**
 * A set of AES-256 keys, one of them primary.
 *
 * @example
 * ```ts
 * const ring = await GossipKeyring.create(newKey, [oldKey]);
 * const node = new GossipNode({ id: 'a', transport, keyring: ring });
 * // later, everywhere: await ring.use(newKey); ring.remove(oldKey);
 * ```
 */
export class GossipKeyring {
  private entries: Entry[] = [];

  private constructor() {}

  /** A keyring with `primary` (32 bytes) encrypting and all of `[primary, ...others]` decrypting. */
  static async create(primary: Uint8Array, others: readonly Uint8Array[] = []): Promise<GossipKeyring> {
    const ring = new GossipKeyring();
    for (const raw of [primary, ...others]) await ring.add(raw);
    return ring;
  }

  /** Number of keys. */
  get size(): number {
    return this.entries.length;
  }

  /** Add a decryption key (no-op if present). */
  async add(raw: Uint8Array): Promise<void> {
    if (this.entries.some((e) => sameKey(e.raw, raw))) return;
    this.entries.push({ raw: raw.slice(), key: await importKey(raw) });
  }

  /** Make `raw` the primary key (adding it if needed). */
  async use(raw: Uint8Array): Promise<void> {
    await this.add(raw);
    const i = this.entries.findIndex((e) => sameKey(e.raw, raw));
    const [e] = this.entries.splice(i, 1);
    this.entries.unshift(e!);
  }

  /** Remove a non-primary key. */
  remove(raw: Uint8Array): void {
    const i = this.entries.findIndex((e) => sameKey(e.raw, raw));
    if (i === 0) throw new InvalidInputError('keyring: cannot remove the primary key; make another key primary first');
    if (i > 0) this.entries.splice(i, 1);
  }

  /** Encrypt with the primary key, `aad` authenticated. */
  async encrypt(plain: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const nonce = webCrypto().getRandomValues(new Uint8Array(NONCE));
    const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, this.entries[0]!.key, plain));
    const out = new Uint8Array(1 + NONCE + ct.byteLength);
    out[0] = FORMAT;
    out.set(nonce, 1);
    out.set(ct, 1 + NONCE);
    return out;
  }

  /** Decrypt with whichever key fits; `null` if none does (tampered, other cluster, unknown key). */
  async decrypt(packet: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null> {
    if (packet.byteLength < ENCRYPTION_OVERHEAD || packet[0] !== FORMAT) return null;
    const nonce = packet.subarray(1, 1 + NONCE);
    const ct = packet.subarray(1 + NONCE);
    for (const e of this.entries) {
      try {
        return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, e.key, ct));
      } catch {
        // Wrong key (or tampered): try the next one.
      }
    }
    return null;
  }
}
