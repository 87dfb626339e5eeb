/**
 * The `GossipTransport` adapter contract: how a {@link GossipNode} sends and
 * receives datagrams, and optionally large packets over a reliable stream.
 * quorumkit ships an in-memory implementation ({@link MemoryGossipNetwork});
 * UDP (with its TCP side as the stream) lives in `quorumkit/node`.
 * @module
 */

/**
 * Receives one packet and the address it came from; `stream` is true when
 * it came over the reliable stream (so it may be larger than a datagram).
 */
export type GossipPacketHandler = (packet: Uint8Array, fromAddress: string, stream?: boolean) => void;

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
 *
 * The optional reliable stream (`sendStream`), if implemented:
 * - **Whole, in order, once.** Each packet arrives whole and unchanged, at
 *   most once, and packets to one address arrive in the order sent, or the
 *   stream to that address breaks and what was not delivered is lost (the
 *   node retries what matters). Never split, merged or truncated.
 * - **Same handler.** Packets are delivered to the `onPacket` handler with
 *   `stream = true` and the sender's `address` as `fromAddress`, never
 *   synchronously from inside `sendStream`.
 * - **Size.** Packets up to the node's `maxStreamBytes` (1 MiB by default)
 *   must be carried; the same "never throws for the network's sake" rule holds.
 * - **Untrusted input.** As for datagrams: bytes are passed on uninterpreted;
 *   the node decrypts, checks the cluster id and validates them itself.
 *   Malformed framing is the transport's to drop (and close the stream).
 */
export interface GossipTransport {
  /** This endpoint's address, as others should send to it. */
  readonly address: string;
  /** Send one datagram to `address` (best effort). */
  send(address: string, packet: Uint8Array): void;
  /**
   * Send one packet to `address` over a reliable, ordered stream (optional).
   * When present, the node sends over it what does not fit a datagram:
   * anti-entropy answers, large broadcasts and key/value entries.
   */
  sendStream?(address: string, packet: Uint8Array): void;
  /** Set the handler of incoming datagrams (replacing any previous one). */
  onPacket(handler: GossipPacketHandler): void;
  /** Stop receiving and release resources. */
  close(): Promise<void> | void;
}
