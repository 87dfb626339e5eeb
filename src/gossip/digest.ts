/**
 * Anti-entropy by digest. Each member keeps a two-level hash tree of its
 * table (members.ts): `DIGEST_FANOUT` top buckets of `DIGEST_FANOUT` leaves,
 * rows placed by the hash of their id, a leaf's hash the XOR of its rows'.
 * A periodic exchange walks down only where the trees differ:
 *
 *     A → B  level 0: A's 32 top hashes                       (~180 bytes)
 *     B → A  level 1: B's leaf hashes of each top that differs
 *     A → B  level 3: A's rows of each leaf that differs, and
 *            level 2: "send me yours of those leaves"
 *     B → A  level 3: B's rows of those leaves
 *
 * Two members that agree exchange one small packet; members whose tables
 * differ in k rows exchange about k·(128 bytes + a few rows) — O(changes),
 * not O(N), whether or not they ever synced before. A lost packet only
 * leaves that exchange unfinished; the next one repairs it.
 * @internal
 * @module
 */
import { DIGEST_FANOUT, estimateSize, type DigestMsg, type GossipMsg, type UpdateMsg } from '../codec/gossip.js';
import type { CoreContext } from './context.js';
import { DIGEST_LEAVES } from './members.js';
import { recordOf } from './merge.js';
import { kvRecordsOf } from './user.js';

const NO_HASHES = new Uint8Array(0);

/** Open an exchange with `to`: our top-bucket hashes. */
export function openDigest(c: CoreContext, to: string, addr: string): void {
  const hashes = new Uint8Array(4 * DIGEST_FANOUT);
  const view = new DataView(hashes.buffer);
  for (let top = 0; top < DIGEST_FANOUT; top++) view.setUint32(4 * top, c.table.topHash(top));
  c.send(to, addr, [digest(0, [], hashes)], false);
}

/** One step of an exchange (level 3 carries rows, which the caller merged). */
export function onDigest(c: CoreContext, from: string, fromAddr: string, m: DigestMsg): void {
  if (m.level === 0) answerTops(c, from, fromAddr, m);
  else if (m.level === 1) answerLeaves(c, from, fromAddr, m);
  else if (m.level === 2) sendLeaves(c, from, fromAddr, m.items);
}

/** Level 0 in: our leaf hashes of every top bucket whose hash differs. */
function answerTops(c: CoreContext, to: string, addr: string, m: DigestMsg): void {
  const theirs = new DataView(m.hashes.buffer, m.hashes.byteOffset, m.hashes.byteLength);
  const differ: number[] = [];
  for (let top = 0; top < DIGEST_FANOUT; top++) if (c.table.topHash(top) !== theirs.getUint32(4 * top)) differ.push(top);
  const perPacket = Math.max(1, Math.floor(room(c) / (4 * DIGEST_FANOUT + 3)));
  for (let k = 0; k < differ.length; k += perPacket) {
    const tops = differ.slice(k, k + perPacket);
    const hashes = new Uint8Array(4 * DIGEST_FANOUT * tops.length);
    const view = new DataView(hashes.buffer);
    tops.forEach((top, j) => {
      for (let l = 0; l < DIGEST_FANOUT; l++) view.setUint32(4 * (j * DIGEST_FANOUT + l), c.table.leafHash(top * DIGEST_FANOUT + l));
    });
    c.send(to, addr, [digest(1, tops, hashes)], false);
  }
}

/** Level 1 in: send our rows of the leaves that differ, and ask for the peer's. */
function answerLeaves(c: CoreContext, to: string, addr: string, m: DigestMsg): void {
  const theirs = new DataView(m.hashes.buffer, m.hashes.byteOffset, m.hashes.byteLength);
  const leaves: number[] = [];
  m.items.forEach((top, j) => {
    for (let l = 0; l < DIGEST_FANOUT; l++) {
      const leaf = top * DIGEST_FANOUT + l;
      if (c.table.leafHash(leaf) !== theirs.getUint32(4 * (j * DIGEST_FANOUT + l))) leaves.push(leaf);
    }
  });
  if (leaves.length === 0) return;
  sendLeaves(c, to, addr, leaves);
  const perPacket = Math.floor(room(c) / 3);
  for (let k = 0; k < leaves.length; k += perPacket) c.send(to, addr, [digest(2, leaves.slice(k, k + perPacket), NO_HASHES)], false);
}

/** Our rows (and key/value entries) of `leaves`, in packets headed by a level-3 digest. */
function sendLeaves(c: CoreContext, to: string, addr: string, leaves: readonly number[]): void {
  const t = c.table;
  const want = new Uint8Array(DIGEST_LEAVES);
  for (const l of leaves) want[l] = 1;
  const rows: UpdateMsg[] = [];
  for (let k = 0; k < t.known.length; k++) {
    const i = t.known.get(k);
    if (want[t.leafOf(i)] === 0 || c.quiet.isHeld(i)) continue;
    rows.push(recordOf(c, i));
    kvRecordsOf(c, c.userData, i, rows);
  }
  sendInParts(c, to, addr, () => digest(3, [], NO_HASHES), rows);
}

/** Send `rows` in as many packets as they need, each starting with `head()`. */
export function sendInParts(c: CoreContext, to: string, addr: string, head: () => GossipMsg, rows: readonly UpdateMsg[]): void {
  const space = room(c);
  let part: GossipMsg[] = [head()];
  let used = 0;
  for (const r of rows) {
    const size = estimateSize(r);
    if (used + size > space && part.length > 1) {
      c.send(to, addr, part, false);
      part = [head()];
      used = 0;
    }
    part.push(r);
    used += size;
  }
  if (part.length > 1) c.send(to, addr, part, false);
}

/** Room for messages in one packet: the packet minus the envelope and a header. */
function room(c: CoreContext): number {
  return c.opts.maxPacketBytes - c.envelope - 40;
}

function digest(level: number, items: number[], hashes: Uint8Array): DigestMsg {
  return { t: 'digest', level, items, hashes };
}
