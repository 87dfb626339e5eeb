/**
 * 20 gossip members on the in-memory network (UDP loopback comes with the
 * node adapters): they join through one seed, share metadata and a user
 * broadcast, one crashes and is found dead, one leaves gracefully.
 *
 *   npx tsx examples/gossip.ts
 *
 * Runs on real time (about 12 seconds) and exits by itself.
 */
import { GossipNode, MemoryGossipNetwork } from '../src/gossip/index.js';
import type { Clock } from '../src/clock.js';

/** Run the demo; `clock` lets the test drive it on virtual time. Returns what it saw. */
export async function main(options: { clock?: Clock; sleep?: (ms: number) => Promise<void>; log?: (line: string) => void } = {}): Promise<{ alive: number; dead: string[]; left: string[]; broadcasts: number }> {
  const log = options.log ?? ((l: string) => console.log(l));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const net = new MemoryGossipNetwork({ ...clock, seed: 7, faults: { drop: 0.02, minDelayMs: 1, maxDelayMs: 5 } });
  const nodes = Array.from({ length: 20 }, (_, i) =>
    new GossipNode({ id: `node-${i}`, transport: net.transport(`node-${i}`), meta: new TextEncoder().encode(`role=${i < 3 ? 'manager' : 'worker'}`), ...clock }));
  const observer = nodes[0]!;
  const dead: string[] = [];
  const left: string[] = [];
  let broadcasts = 0;
  observer.on('dead', (m) => { dead.push(m.id); log(`node-0 sees ${m.id} dead`); });
  observer.on('leave', (m) => { left.push(m.id); log(`node-0 sees ${m.id} leave`); });
  for (const n of nodes) n.on('broadcast', () => broadcasts++);

  await observer.start();
  for (const n of nodes.slice(1)) await n.start(['node-0']);
  await sleep(3000);
  log(`after 3 s node-0 lists ${observer.aliveMembers().length} alive members`);

  nodes[5]!.broadcast(new TextEncoder().encode('deploy v2'));
  await sleep(1000);
  log(`the broadcast from node-5 reached ${broadcasts} of 19 members`);

  await nodes[7]!.stop(); // a crash: no goodbye
  void nodes[9]!.leave(); // a graceful leave
  await sleep(8000);
  const alive = observer.aliveMembers().length;
  log(`finally node-0 lists ${alive} alive, dead: [${dead.join(', ')}], left: [${left.join(', ')}]`);
  await Promise.all(nodes.map((n) => n.stop()));
  return { alive, dead, left, broadcasts };
}

// Run when executed directly (not when imported by the test).
if (import.meta.url === `file://${process.argv[1]}`) await main();
