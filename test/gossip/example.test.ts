import { expect, it } from 'vitest';
import { main } from '../../examples/gossip.js';
import { EventLoop } from '../../src/testing/sim/event-loop.js';

it('examples/gossip.ts runs: 20 members, a broadcast, a crash found dead, a leave', async () => {
  const loop = new EventLoop();
  const lines: string[] = [];
  const r = await main({ clock: loop.clock(), sleep: (ms) => loop.runForAsync(ms), log: (l) => lines.push(l) });
  expect(r.broadcasts).toBe(19);
  expect(r.dead).toEqual(['node-7']);
  expect(r.left).toEqual(['node-9']);
  expect(r.alive).toBe(18);
  expect(lines.length).toBeGreaterThanOrEqual(4);
});

// As users run it (`npx tsx examples/gossip.ts`): real UDP sockets on 127.0.0.1 and real time, about 12 s.
it('examples/gossip.ts runs on UDP loopback as well', async () => {
  const lines: string[] = [];
  const r = await main({ udp: true, log: (l) => lines.push(l) });
  expect(r.broadcasts).toBe(19);
  expect(r.dead).toEqual(['node-7']);
  expect(r.left).toEqual(['node-9']);
  expect(r.alive).toBe(18);
}, 30_000);
