/**
 * `quorumkit/testing`: the deterministic simulator's building blocks, so
 * users can test their own state machines under faults on virtual time.
 * @module quorumkit/testing
 */
export { EventLoop, SimulatedClock, settleMicrotasks } from './testing/sim/event-loop.js';
export { PacketFabric } from './transport/fabric.js';
export type { LinkFaults, PacketHandler } from './transport/fabric.js';
