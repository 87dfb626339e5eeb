import { describe, expect, it } from 'vitest';
import { EventLoop } from '../../../src/testing/sim/event-loop.js';
import { runTransportSuite, transportConformanceCases, type TransportUnderTest } from '../../../src/testing/conformance/transport.js';
import { MemoryNetwork } from '../../../src/transport/memory.js';
import type { RaftTransport } from '../../../src/transport/transport.js';

/** MemoryNetwork on virtual time: settle runs the loop a second ahead. */
function memoryUnderTest(): TransportUnderTest {
  const loop = new EventLoop();
  const net = new MemoryNetwork({ clock: loop.clock(), minDelayMs: 1, maxDelayMs: 5 });
  return {
    open: async (ids) => Object.fromEntries(ids.map((id) => [id, net.transport(id)])),
    settle: async () => loop.runFor(1000),
    injectRaw: (from, to, frame) => net.injectRaw(from, to, frame),
  };
}

runTransportSuite(memoryUnderTest, { describe, it }, 'MemoryTransport passes the RaftTransport conformance suite');

describe('the transport conformance suite catches broken transports', () => {
  /** A transport that hands every message to every node: it must fail "addressee only". */
  function leaky(): TransportUnderTest {
    const handlers = new Map<string, (m: never) => void>();
    const loop = new EventLoop();
    const make = (id: string): RaftTransport => ({
      start: (h) => { handlers.set(id, h as (m: never) => void); },
      send: (ms) => { for (const m of ms) for (const h of handlers.values()) loop.schedule(1, () => h(m as never)); },
      close: () => { handlers.delete(id); },
    });
    return { open: async (ids) => Object.fromEntries(ids.map((id) => [id, make(id)])), settle: async () => loop.runFor(100) };
  }

  it('a transport delivering to everyone fails the addressee case', async () => {
    const [first] = transportConformanceCases(leaky);
    await expect(first!.run()).rejects.toThrow(/addressee/);
  });
});
