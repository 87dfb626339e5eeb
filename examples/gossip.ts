/**
 * 20 gossip members on UDP loopback (or, for the test on virtual time, the
 * in-memory network): they join through one seed, share metadata and a user
 * broadcast, one crashes and is found dead, one leaves gracefully.
 *
 *   npx tsx examples/gossip.ts
 *
 * Runs on real time (about 12 seconds) and exits by itself.
 */
import { GossipNode, MemoryGossipNetwork, type Clock, type GossipTransport } from 'quorumkit';
import { UdpGossipTransport } from 'quorumkit/node';

/** The members' transports: UDP sockets on 127.0.0.1, or endpoints of an in-memory network on `clock`. */
async function transports(udp: boolean, clock: { clock?: Clock }): Promise<GossipTransport[]> {
  if (udp) return Promise.all(Array.from({ length: 20 }, () => UdpGossipTransport.bind({ host: '127.0.0.1' })));
  const net = new MemoryGossipNetwork({ ...clock, seed: 7, faults: { drop: 0.02, minDelayMs: 1, maxDelayMs: 5 } });
  return Array.from({ length: 20 }, (_, i) => net.transport(`node-${i}`));
}

/** Run the demo; `clock` lets the test drive it on virtual time (in memory), `udp` uses real sockets. Returns what it saw. */
export async function main(options: { clock?: Clock; sleep?: (ms: number) => Promise<void>; log?: (line: string) => void; udp?: boolean } = {}): Promise<{ alive: number; dead: string[]; left: string[]; broadcasts: number }> {
  const log = options.log ?? ((l: string) => console.log(l));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const ts = await transports(options.udp ?? false, clock);
  const nodes = ts.map((transport, i) =>
    new GossipNode({ id: `node-${i}`, transport, meta: new TextEncoder().encode(`role=${i < 3 ? 'manager' : 'worker'}`), ...clock }));
  const observer = nodes[0]!;
  const dead: string[] = [];
  const left: string[] = [];
  let broadcasts = 0;
  observer.on('dead', (m) => { dead.push(m.id); log(`node-0 sees ${m.id} dead`); });
  observer.on('leave', (m) => { left.push(m.id); log(`node-0 sees ${m.id} leave`); });
  for (const n of nodes) n.on('broadcast', () => broadcasts++);

  await observer.start();
  for (const n of nodes.slice(1)) await n.start([ts[0]!.address]);
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
if (process.argv[1]?.endsWith('gossip.ts')) await main({ udp: true });
