/**
 * The `GossipTransport` adapter contract: how a {@link GossipNode} sends and
 * receives datagrams. quorumkit ships an in-memory implementation
 * ({@link MemoryGossipNetwork}); UDP lives in `quorumkit/node`.
 * @module
 */

/** Receives one datagram and the address it came from. */
export type GossipPacketHandler = (packet: Uint8Array, fromAddress: string) => void;

/**
 * A datagram transport for gossip.
 *
 * Correctness requirements for implementations:
 * - **Datagrams, whole or not at all.** `send` delivers the exact bytes as one
 *   packet, or loses them; it never splits, merges or truncates packets.
 *   Loss, duplication, reordering and delay are allowed — the protocol is
 *   built for them.
 * - **Never throws for the network's sake.** An unreachable or unknown
 *   address, a full buffer or a closed peer is a lost packet, not an
 *   exception. `send` may throw only for programming errors (after `close`).
 * - **Never re-enters.** The handler is never called synchronously from
 *   inside `send`; delivery is asynchronous.
 * - **Source address.** `fromAddress` is the address the peer's own
 *   transport reports as its `address`, so a reply sent there reaches it.
 * - **Size.** Packets up to the node's `maxPacketBytes` must be carried;
 *   larger ones may be dropped (the node never builds them).
 * - **Untrusted input.** Anything may arrive; the node validates, decrypts
 *   and drops bad packets itself. The transport must not interpret bytes.
 * - **Close.** After `close()` resolves, no handler call happens and sends are ignored or throw.
 */
export interface GossipTransport {
  /** This endpoint's address, as others should send to it. */
  readonly address: string;
  /** Send one datagram to `address` (best effort). */
  send(address: string, packet: Uint8Array): void;
  /** Set the handler of incoming datagrams (replacing any previous one). */
  onPacket(handler: GossipPacketHandler): void;
  /** Stop receiving and release resources. */
  close(): Promise<void> | void;
}
