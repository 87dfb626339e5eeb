/**
 * Mutual TLS for the TCP transport. Both sides present a certificate signed
 * by the cluster's CA; the certificate names the node (by default its
 * subject CN), and the handshake's claimed node id must equal it. Host
 * names are not checked: the node id in the certificate is the identity.
 * @module
 */
import type { PeerCertificate, TLSSocket, TlsOptions, ConnectionOptions } from 'node:tls';
import type { NodeId } from '../../raft/core/types.js';

/** PEM text or bytes. */
export type Pem = string | Uint8Array;

/** Mutual TLS settings of a {@link TcpTransport}. */
export interface TcpTlsOptions {
  /** This node's certificate chain (PEM); it must name this node's id. */
  cert: Pem;
  /** This node's private key (PEM). */
  key: Pem;
  /** The CA certificates peers' certificates must chain to (PEM). */
  ca: Pem | readonly Pem[];
  /**
   * Read the node id a verified peer certificate proves, or null if it names
   * none. @default the certificate's subject common name (CN)
   */
  peerId?: (cert: PeerCertificate) => NodeId | null;
}

function caList(ca: Pem | readonly Pem[]): (string | Buffer)[] {
  const list: readonly Pem[] = Array.isArray(ca) ? ca : [ca as Pem];
  return list.map((p) => (typeof p === 'string' ? p : Buffer.from(p)));
}

function pem(p: Pem): string | Buffer {
  return typeof p === 'string' ? p : Buffer.from(p);
}

/** `tls.createServer` options: a client certificate is required and verified. */
export function tlsServerOptions(t: TcpTlsOptions): TlsOptions {
  return { cert: pem(t.cert), key: pem(t.key), ca: caList(t.ca), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/** `tls.connect` options: the server certificate is verified against the CA, its node id checked after the handshake. */
export function tlsClientOptions(t: TcpTlsOptions): ConnectionOptions {
  return {
    cert: pem(t.cert),
    key: pem(t.key),
    ca: caList(t.ca),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    checkServerIdentity: () => undefined,
  };
}

/** The default {@link TcpTlsOptions.peerId}: the subject CN. */
export function commonNameOf(cert: PeerCertificate): NodeId | null {
  const cn: unknown = (cert.subject as Record<string, unknown> | undefined)?.CN;
  const first = Array.isArray(cn) ? (cn[0] as unknown) : cn;
  return typeof first === 'string' && first.length > 0 ? first : null;
}

/** The node id a TLS socket's verified peer proves, or null if unverified or unnamed. */
export function certifiedPeerId(socket: TLSSocket, t: TcpTlsOptions): NodeId | null {
  if (!socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || Object.keys(cert).length === 0) return null;
  return (t.peerId ?? commonNameOf)(cert);
}
