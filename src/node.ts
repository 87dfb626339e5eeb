/**
 * `quorumkit/node`: adapters that need Node built-ins (sockets, files).
 * @module quorumkit/node
 */
export { NodeFileSystem } from './node/fs.js';
export { createFileStorage } from './node/file-storage.js';
export { TcpTransport } from './node/tcp/transport.js';
export type { TcpTransportEvents, TcpTransportStats } from './node/tcp/transport.js';
export { TCP_TRANSPORT_DEFAULTS } from './node/tcp/options.js';
export type { TcpTransportOptions, DefaultedTcpOptions } from './node/tcp/options.js';
export { commonNameOf } from './node/tcp/tls.js';
export type { TcpTlsOptions, Pem } from './node/tcp/tls.js';
export { TCP_PROTOCOL_VERSION } from './node/tcp/handshake.js';
export { UdpGossipTransport, UDP_GOSSIP_DEFAULTS } from './node/udp/transport.js';
export type { UdpGossipTransportOptions, UdpGossipStats } from './node/udp/transport.js';
