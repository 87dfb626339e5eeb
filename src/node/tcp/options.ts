/**
 * Options of {@link TcpTransport}: one interface, one frozen defaults
 * object, one resolver that checks relations between fields.
 * @module
 */
import { DEFAULT_MAX_FRAME_BYTES } from '../../codec/msgpack.js';
import { expectedGot } from '../../errors.js';
import type { NodeId } from '../../raft/core/types.js';
import type { TcpTlsOptions } from './tls.js';

/** Options of a {@link TcpTransport}. */
export interface TcpTransportOptions {
  /** This node's id; must equal the id in its certificate when TLS is on. */
  id: NodeId;
  /** The cluster's id; a peer of another cluster is refused. */
  clusterId: string;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one (see {@link TcpTransport.address}). @default 0 */
  port?: number;
  /**
   * Peers' addresses, `host:port` (`[::1]:7000` for IPv6). Of each pair of
   * nodes the one with the smaller id dials, so a node needs the addresses
   * of the peers whose ids are greater than its own; others are used only
   * for {@link TcpTransport.addressOf}. @default {}
   */
  peers?: Readonly<Record<NodeId, string>>;
  /** Address shown to clients for this node. @default the listening address */
  advertise?: string;
  /** Mutual TLS; plain TCP if omitted. */
  tls?: TcpTlsOptions;
  /** Largest frame accepted or sent, bytes. @default 16777216 */
  maxFrameBytes?: number;
  /** Frames of entries larger than this are written in pieces of this size, with control frames between them. @default 65536 */
  chunkBytes?: number;
  /** Bytes queued per peer; beyond it the oldest queued frames are dropped. @default 33554432 */
  maxQueueBytes?: number;
  /** Frames queued per peer; beyond it the oldest queued frames are dropped. @default 4096 */
  maxQueueFrames?: number;
  /** Accepted connections open at once (handshaking or not); more are refused by the listener. @default 1024 */
  maxConnections?: number;
  /** A dial or handshake not done in this time is abandoned, ms. @default 5000 */
  handshakeTimeoutMs?: number;
  /** First reconnect delay, ms; doubles per failed attempt, with jitter. @default 50 */
  backoffBaseMs?: number;
  /** Longest reconnect delay, ms. @default 2000 */
  backoffMaxMs?: number;
  /** Randomness of the reconnect jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

/** The options {@link TCP_TRANSPORT_DEFAULTS} gives values for. */
export type DefaultedTcpOptions = 'host' | 'port' | 'maxFrameBytes' | 'chunkBytes' | 'maxQueueBytes' | 'maxQueueFrames' | 'maxConnections'
  | 'handshakeTimeoutMs' | 'backoffBaseMs' | 'backoffMaxMs';

/** Defaults of {@link TcpTransportOptions}. */
export const TCP_TRANSPORT_DEFAULTS: Readonly<Required<Pick<TcpTransportOptions, DefaultedTcpOptions>>> = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  chunkBytes: 64 * 1024,
  maxQueueBytes: 32 * 1024 * 1024,
  maxQueueFrames: 4096,
  maxConnections: 1024,
  handshakeTimeoutMs: 5000,
  backoffBaseMs: 50,
  backoffMaxMs: 2000,
});

/** Resolved options: every default filled. */
export interface ResolvedTcpOptions extends Required<Omit<TcpTransportOptions, 'tls' | 'advertise'>> {
  /** Mutual TLS, or null for plain TCP. */
  readonly tls: TcpTlsOptions | null;
  /** Advertised address, or null for the listening address. */
  readonly advertise: string | null;
}

const POSITIVE_INTS = ['maxFrameBytes', 'chunkBytes', 'maxQueueBytes', 'maxQueueFrames', 'maxConnections', 'handshakeTimeoutMs', 'backoffBaseMs', 'backoffMaxMs'] as const;

/** Fill defaults and validate. Throws `InvalidConfigError` with "expected … got …". */
export function resolveTcpOptions(o: TcpTransportOptions): ResolvedTcpOptions {
  if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 256) throw expectedGot('id', 'a non-empty string of at most 256 chars', o.id);
  if (typeof o.clusterId !== 'string' || o.clusterId.length === 0 || o.clusterId.length > 256) {
    throw expectedGot('clusterId', 'a non-empty string of at most 256 chars', o.clusterId);
  }
  const r = { ...TCP_TRANSPORT_DEFAULTS, ...definedOnly(o) };
  for (const k of POSITIVE_INTS) if (!Number.isSafeInteger(r[k]) || r[k] <= 0) throw expectedGot(k, 'a positive integer', r[k]);
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535) throw expectedGot('port', 'an integer in [0, 65535]', r.port);
  if (r.chunkBytes > r.maxFrameBytes) throw expectedGot('chunkBytes', `at most maxFrameBytes (${r.maxFrameBytes})`, r.chunkBytes);
  if (r.maxQueueBytes < r.maxFrameBytes) throw expectedGot('maxQueueBytes', `at least maxFrameBytes (${r.maxFrameBytes})`, r.maxQueueBytes);
  if (r.backoffMaxMs < r.backoffBaseMs) throw expectedGot('backoffMaxMs', `at least backoffBaseMs (${r.backoffBaseMs})`, r.backoffMaxMs);
  const peers = o.peers ?? {};
  for (const [peer, addr] of Object.entries(peers)) parseAddress(addr, `peers.${peer}`);
  return { ...r, peers, tls: o.tls ?? null, advertise: o.advertise ?? null, random: o.random ?? Math.random };
}

/** Split `host:port` or `[v6]:port`; throws `InvalidConfigError` naming `field`. */
export function parseAddress(addr: unknown, field: string): { host: string; port: number } {
  const m = typeof addr === 'string' ? /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(addr) : null;
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw expectedGot(field, 'an address "host:port" or "[v6]:port"', addr);
  return { host: (m[1] ?? m[2])!, port };
}

/** Format a host and port as an address {@link parseAddress} reads. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
