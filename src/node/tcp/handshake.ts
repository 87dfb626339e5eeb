/**
 * The handshake of the TCP transport: the first control frame each side
 * sends. The dialer says who it is and whom it meant to reach; the acceptor
 * checks, then answers with its own hello or with a refusal and closes.
 * A hello of another protocol version or cluster is refused, never adopted.
 * @module
 */
import { decodeValue, encodeValue } from '../../codec/msgpack.js';
import { RAFT_PROTOCOL_VERSION } from '../../codec/raft.js';
import { arr, id, str, uint } from '../../codec/validate.js';
import { TransportError, type TransportErrorReason } from '../../errors.js';
import type { NodeId } from '../../raft/core/types.js';

/** Marks a quorumkit Raft transport hello. */
export const HANDSHAKE_MAGIC = 'quorumkit-raft';
/** Version of the TCP framing and handshake. */
export const TCP_PROTOCOL_VERSION = 1;
/** Largest handshake frame; a connection is held to this limit until it is accepted. */
export const MAX_HANDSHAKE_BYTES = 4096;

/** What each side sends first. */
export interface Hello {
  /** Version of the framing and handshake ({@link TCP_PROTOCOL_VERSION}). */
  readonly tcpVersion: number;
  /** Version of the Raft wire codec (`RAFT_PROTOCOL_VERSION`). */
  readonly raftVersion: number;
  /** The sender's cluster id. */
  readonly clusterId: string;
  /** The sender's node id. */
  readonly nodeId: NodeId;
  /** The node the sender meant to reach (dialer), or null (acceptor). */
  readonly to: NodeId | null;
  /** Set on a refusal: why the acceptor refused; the connection then closes. */
  readonly refused: TransportErrorReason | null;
}

/** Our hello for `clusterId` and `nodeId`. */
export function hello(clusterId: string, nodeId: NodeId, to: NodeId | null, refused: TransportErrorReason | null = null): Hello {
  return { tcpVersion: TCP_PROTOCOL_VERSION, raftVersion: RAFT_PROTOCOL_VERSION, clusterId, nodeId, to, refused };
}

/** Encode a hello as a control-frame payload. */
export function encodeHello(h: Hello): Uint8Array {
  return encodeValue([HANDSHAKE_MAGIC, h.tcpVersion, h.raftVersion, h.clusterId, h.nodeId, h.to, h.refused]);
}

const REASONS = new Set<string>(['version', 'cluster', 'identity', 'handshake', 'protocol', 'listen']);

/** Decode a hello; throws {@link TransportError} (reason `handshake`) if malformed. */
export function decodeHello(payload: Uint8Array): Hello {
  try {
    const f = arr(decodeValue(payload, MAX_HANDSHAKE_BYTES), 'hello', 7);
    if (f.length !== 7 || f[0] !== HANDSHAKE_MAGIC) throw new TransportError('handshake', 'Not a quorumkit hello');
    const refused = f[6] === null ? null : str(f[6], 'hello.refused', 32);
    if (refused !== null && !REASONS.has(refused)) throw new TransportError('handshake', `Unknown refusal reason ${refused}`);
    return {
      tcpVersion: uint(f[1], 'hello.tcpVersion'),
      raftVersion: uint(f[2], 'hello.raftVersion'),
      clusterId: id(f[3], 'hello.clusterId'),
      nodeId: id(f[4], 'hello.nodeId'),
      to: f[5] === null ? null : id(f[5], 'hello.to'),
      refused: refused as TransportErrorReason | null,
    };
  } catch (e) {
    if (e instanceof TransportError) throw e;
    throw new TransportError('handshake', 'Malformed hello', null, e);
  }
}

/** What a side expects of the other's hello. */
export interface HelloExpectation {
  /** Our cluster id. */
  readonly clusterId: string;
  /** Our node id (a dialer's hello must name us in `to`). */
  readonly selfId: NodeId;
  /** The peer we dialed, if we dialed. */
  readonly peerId: NodeId | null;
  /** The node id the peer's TLS certificate proves, if TLS is on. */
  readonly certifiedId: NodeId | null;
}

/**
 * Check a peer's hello. Returns null if acceptable, else the
 * {@link TransportError} to log and, for an acceptor, the refusal reason to send.
 */
export function checkHello(h: Hello, want: HelloExpectation): TransportError | null {
  const who = h.nodeId;
  if (h.refused !== null) return new TransportError(h.refused, `Peer ${who} refused the connection (${h.refused})`, who);
  if (h.tcpVersion !== TCP_PROTOCOL_VERSION || h.raftVersion !== RAFT_PROTOCOL_VERSION) {
    return new TransportError('version', `Peer ${who} speaks protocol ${h.tcpVersion}/${h.raftVersion}; expected ${TCP_PROTOCOL_VERSION}/${RAFT_PROTOCOL_VERSION}`, who);
  }
  if (h.clusterId !== want.clusterId) return new TransportError('cluster', `Peer ${who} is in cluster "${h.clusterId}"; expected "${want.clusterId}"`, who);
  if (want.peerId !== null && who !== want.peerId) return new TransportError('identity', `Dialed ${want.peerId} but reached ${who}`, who);
  if (want.peerId === null && h.to !== want.selfId) return new TransportError('identity', `Peer ${who} meant to reach ${String(h.to)}, not ${want.selfId}`, who);
  if (want.certifiedId !== null && who !== want.certifiedId) {
    return new TransportError('identity', `Peer claims to be ${who} but its certificate names ${want.certifiedId}`, who);
  }
  return null;
}
