/**
 * Gossip options: one interface with documented defaults, one frozen
 * defaults object with a LAN and a WAN profile, one resolver.
 * @module
 */
import { expectedGot } from '../errors.js';
import { checkJoinSecrets, type JoinSecret } from './join-secret.js';

/** The tunables shared by the profiles (all times in milliseconds). */
export interface GossipTunables {
  /**
   * How often a member probes one other member (SWIM protocol period).
   * @default 1000 (LAN), 5000 (WAN)
   */
  probeIntervalMs: number;
  /**
   * How long to wait for a direct ack before asking relays (ping-req).
   * Must be below `probeIntervalMs`. The relays then get 0.6 of it (at most
   * the rest of the period) before the target is suspected: a probe of a
   * silent member concludes after 1.6 × this (800 ms on a LAN).
   * @default 500 (LAN), 3000 (WAN)
   */
  probeTimeoutMs: number;
  /**
   * How often updates are pushed to `gossipFanout` random members, besides piggybacking.
   * @default 200 (LAN), 500 (WAN)
   */
  gossipIntervalMs: number;
  /**
   * Members a gossip round sends to.
   * @default 3 (LAN), 4 (WAN)
   */
  gossipFanout: number;
  /**
   * Relays asked to probe a member that missed its direct ack (SWIM's k).
   * @default 3
   */
  indirectChecks: number;
  /**
   * Lifeguard: the minimum suspicion timeout is `suspicionMult · log10(max(n, 10)) · probeIntervalMs`.
   * Lower than memberlist's 4 because a suspect is told directly by the
   * member that suspects it (and refutes within a round trip), and the
   * timeout only falls to the minimum after `suspicionConfirmations`
   * independent confirmations; one slow prober alone waits the maximum.
   * @default 1 (LAN), 2 (WAN)
   */
  suspicionMult: number;
  /**
   * Lifeguard: independent confirmations after which the suspicion timeout reaches its minimum.
   * About 4 × this many members that hear of a suspicion check the suspect
   * with their next probe (besides their ring target), so the confirmations come within a few probe
   * intervals (0 turns the checks off, and the timeout is the minimum at once).
   * @default 3
   */
  suspicionConfirmations: number;
  /**
   * Lifeguard: the suspicion timeout starts at this multiple of the minimum
   * and shrinks towards the minimum as independent confirmations arrive.
   * @default 6
   */
  suspicionMaxTimeoutMult: number;
  /**
   * Lifeguard local health: the largest factor a member stretches its own
   * probe timeouts by when it seems to be the slow one (it still probes
   * every period: each member has one prober a period on the probe ring).
   * @default 8
   */
  awarenessMaxMultiplier: number;
  /**
   * Packet loss the retransmit budget is sized for (see `retransmitBudget`).
   * @default 0.2
   */
  retransmitDesignLoss: number;
  /**
   * Probability that one update reaches every member without anti-entropy,
   * at `retransmitDesignLoss`, that the retransmit budget is sized for.
   * @default 0.9999
   */
  retransmitTarget: number;
  /**
   * Period of the anti-entropy exchange with one random member (0 disables it).
   * @default 30000 (LAN), 60000 (WAN)
   */
  pushPullIntervalMs: number;
  /**
   * Dead members are remembered (address kept) and still contacted now and
   * then for this long, so partitions heal without a rejoin call.
   * @default 3600000 (one hour)
   */
  reconnectTimeoutMs: number;
  /**
   * Probability that a probe round also pings one remembered dead member
   * (telling it it is thought dead, so it refutes in its ack), and share of
   * anti-entropy exchanges aimed at one: how partitions heal by themselves.
   * @default 0.25
   */
  reconnectRatio: number;
  /**
   * Largest datagram the core builds (envelope and encryption included).
   * @default 1400 (LAN), 1200 (WAN)
   */
  maxPacketBytes: number;
  /**
   * Largest user broadcast; larger ones are refused. They are fragmented to fit packets.
   * @default 65536
   */
  maxUserPayloadBytes: number;
  /**
   * Share of each packet's piggyback space reserved for user broadcasts while
   * any are queued, so membership traffic never starves them (and vice versa).
   * @default 0.5
   */
  userShare: number;
  /**
   * Largest metadata blob per member.
   * @default 512
   */
  maxMetaBytes: number;
}

/** Options of a {@link GossipCore} and of the {@link GossipNode} driver. */
export interface GossipOptions extends Partial<GossipTunables> {
  /** This member's unique, stable id (required). */
  id: string;
  /**
   * Where others reach this member, as the transport understands addresses.
   * @default the id
   */
  address?: string;
  /**
   * Packets from another cluster id are dropped; it is also the authenticated data of encryption.
   * @default "quorumkit"
   */
  clusterId?: string;
  /**
   * Which profile the unspecified tunables come from.
   * @default "lan"
   */
  profile?: 'lan' | 'wan';
  /**
   * This member's metadata, spread with its alive record.
   * @default empty
   */
  meta?: Uint8Array;
  /**
   * The last incarnation this member persisted; it restarts above it, so a
   * mass restart never leaves members stuck dead.
   * @default 0
   */
  incarnation?: number;
  /**
   * Seed of the core's random choices (fanout targets, relays, suspect checks).
   * @default derived from the id
   */
  seed?: number | string;
  /**
   * The cluster's join secret, or several for rotation (the first signs,
   * every one verifies): only members holding one can be listed by anyone.
   * Every alive record then carries a proof keyed by it, checked by every
   * member (see `join-secret.ts` for the trust model). Each secret is a
   * string or bytes of at least 16 bytes. Independent of the keyring.
   * @default none (anyone who can reach a member can join)
   */
  joinSecret?: JoinSecret | readonly JoinSecret[];
  /**
   * Largest packet sent over the transport's reliable stream, which then
   * carries anti-entropy answers that do not fit one datagram and user
   * broadcasts or key/value entries too large for one (pulled once per
   * member instead of fragmented); 0 never uses a stream. Must be 0 or at
   * least `maxPacketBytes`.
   * @default 0 in a bare GossipCore; a GossipNode whose transport has `sendStream` uses 1048576
   */
  maxStreamBytes?: number;
}

/** Every option with its value decided. */
export interface ResolvedGossipOptions extends GossipTunables {
  /** This member's unique, stable id (from {@link GossipOptions.id}). */
  id: string;
  /** Where others reach this member ({@link GossipOptions.address}, or the id). */
  address: string;
  /** Cluster id packets must carry ({@link GossipOptions.clusterId}, or `"quorumkit"`). */
  clusterId: string;
  /** This member's metadata ({@link GossipOptions.meta}, or empty). */
  meta: Uint8Array;
  /** Last persisted incarnation ({@link GossipOptions.incarnation}, or 0); the core starts one above it. */
  incarnation: number;
  /** Seed of the core's random choices ({@link GossipOptions.seed}, or the id). */
  seed: number | string;
  /** Join secrets ({@link GossipOptions.joinSecret}); empty when joining is open. */
  joinSecret: readonly JoinSecret[];
  /** Largest packet for the reliable stream ({@link GossipOptions.maxStreamBytes}, or 0: no stream). */
  maxStreamBytes: number;
}

/**
 * The defaults: a LAN profile (memberlist's DefaultLANConfig timings, to
 * compare like with like) and a WAN profile with longer timeouts.
 */
export const GOSSIP_DEFAULTS: Readonly<{
  /** Profile `"lan"` (the default): memberlist's LAN timings, 1400-byte packets. */
  lan: Readonly<GossipTunables>;
  /** Profile `"wan"`: longer probe, gossip and anti-entropy periods, 1200-byte packets. */
  wan: Readonly<GossipTunables>;
}> = Object.freeze({
  lan: Object.freeze({
    probeIntervalMs: 1000, probeTimeoutMs: 500, gossipIntervalMs: 200, gossipFanout: 3, indirectChecks: 3,
    suspicionMult: 1, suspicionConfirmations: 3, suspicionMaxTimeoutMult: 6, awarenessMaxMultiplier: 8, retransmitDesignLoss: 0.2,
    retransmitTarget: 0.9999, pushPullIntervalMs: 30_000, reconnectTimeoutMs: 3_600_000, reconnectRatio: 0.25,
    maxPacketBytes: 1400, maxUserPayloadBytes: 65_536, userShare: 0.5, maxMetaBytes: 512,
  }),
  wan: Object.freeze({
    probeIntervalMs: 5000, probeTimeoutMs: 3000, gossipIntervalMs: 500, gossipFanout: 4, indirectChecks: 3,
    suspicionMult: 2, suspicionConfirmations: 3, suspicionMaxTimeoutMult: 6, awarenessMaxMultiplier: 8, retransmitDesignLoss: 0.2,
    retransmitTarget: 0.9999, pushPullIntervalMs: 60_000, reconnectTimeoutMs: 3_600_000, reconnectRatio: 0.25,
    maxPacketBytes: 1200, maxUserPayloadBytes: 65_536, userShare: 0.5, maxMetaBytes: 512,
  }),
});

/**
 * Fill in defaults and check every field and the relations between them.
 * @throws InvalidConfigError with an "expected … got …" message.
 */
export function resolveGossipOptions(o: GossipOptions): ResolvedGossipOptions {
  if (o === null || typeof o !== 'object') throw expectedGot('options', 'an object', o);
  if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 256) throw expectedGot('id', 'a non-empty string of at most 256 chars', o.id);
  const profile = o.profile ?? 'lan';
  if (profile !== 'lan' && profile !== 'wan') throw expectedGot('profile', '"lan" or "wan"', profile);
  const base = GOSSIP_DEFAULTS[profile];
  const r: ResolvedGossipOptions = {
    ...base,
    ...definedOnly(o),
    id: o.id,
    address: o.address ?? o.id,
    clusterId: o.clusterId ?? 'quorumkit',
    meta: o.meta ?? new Uint8Array(0),
    incarnation: o.incarnation ?? 0,
    seed: o.seed ?? o.id,
    joinSecret: o.joinSecret === undefined ? [] : checkJoinSecrets(o.joinSecret),
    maxStreamBytes: o.maxStreamBytes ?? 0,
  };
  checkFields(r);
  return r;
}

function definedOnly(o: GossipOptions): Partial<GossipTunables> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(GOSSIP_DEFAULTS.lan)) {
    const v = (o as unknown as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<GossipTunables>;
}

function positiveInt(r: ResolvedGossipOptions, k: keyof GossipTunables, min = 1): void {
  const v = r[k];
  if (!Number.isSafeInteger(v) || v < min) throw expectedGot(k, `an integer >= ${min}`, v);
}

function fraction(r: ResolvedGossipOptions, k: keyof GossipTunables, lo: number, hi: number): void {
  const v = r[k];
  if (typeof v !== 'number' || !(v >= lo && v <= hi)) throw expectedGot(k, `a number in [${lo}, ${hi}]`, v);
}

function checkFields(r: ResolvedGossipOptions): void {
  for (const k of ['probeIntervalMs', 'probeTimeoutMs', 'gossipIntervalMs', 'gossipFanout', 'suspicionMult', 'suspicionMaxTimeoutMult', 'awarenessMaxMultiplier', 'reconnectTimeoutMs', 'maxUserPayloadBytes'] as const) positiveInt(r, k);
  for (const k of ['indirectChecks', 'suspicionConfirmations', 'pushPullIntervalMs', 'maxMetaBytes'] as const) positiveInt(r, k, 0);
  positiveInt(r, 'maxPacketBytes', 256);
  fraction(r, 'retransmitDesignLoss', 0, 0.9);
  fraction(r, 'retransmitTarget', 0.5, 1 - 1e-12);
  fraction(r, 'reconnectRatio', 0, 1);
  fraction(r, 'userShare', 0.1, 0.9);
  if (r.probeTimeoutMs >= r.probeIntervalMs) throw expectedGot('probeTimeoutMs', `a value below probeIntervalMs (${r.probeIntervalMs})`, r.probeTimeoutMs);
  if (r.gossipIntervalMs > r.probeIntervalMs) throw expectedGot('gossipIntervalMs', `at most probeIntervalMs (${r.probeIntervalMs})`, r.gossipIntervalMs);
  if (r.pushPullIntervalMs !== 0 && r.pushPullIntervalMs < r.probeIntervalMs) throw expectedGot('pushPullIntervalMs', `0 or at least probeIntervalMs (${r.probeIntervalMs})`, r.pushPullIntervalMs);
  // An alive record (two ids, the address, the metadata) must fit one packet with room to spare.
  if (r.maxMetaBytes > r.maxPacketBytes / 2) throw expectedGot('maxMetaBytes', `at most half of maxPacketBytes (${r.maxPacketBytes / 2})`, r.maxMetaBytes);
  if (!(r.meta instanceof Uint8Array) || r.meta.byteLength > r.maxMetaBytes) throw expectedGot('meta', `bytes of at most maxMetaBytes (${r.maxMetaBytes})`, r.meta instanceof Uint8Array ? `${r.meta.byteLength} bytes` : r.meta);
  if (typeof r.address !== 'string' || r.address.length === 0) throw expectedGot('address', 'a non-empty string', r.address);
  if (typeof r.clusterId !== 'string' || r.clusterId.length > 256) throw expectedGot('clusterId', 'a string of at most 256 chars', r.clusterId);
  if (!Number.isSafeInteger(r.maxStreamBytes) || (r.maxStreamBytes !== 0 && r.maxStreamBytes < r.maxPacketBytes)) throw expectedGot('maxStreamBytes', `0 or an integer of at least maxPacketBytes (${r.maxPacketBytes})`, r.maxStreamBytes);
  if (!Number.isSafeInteger(r.incarnation) || r.incarnation < 0 || r.incarnation >= 0xffff_ffff) throw expectedGot('incarnation', 'an integer in [0, 2^32-2]', r.incarnation);
}
