/**
 * `npm run demo`: a five-node Raft cluster in one process, on the in-process
 * defaults (MemoryNetwork, MemoryStorage, real timers). It elects a leader,
 * commits writes, loses its leader to a partition, fails over, heals and
 * catches up, printing the cluster's status at each step. Exits by itself.
 */
import { MemoryNetwork, MemoryStorage, RaftNode, type RaftStatus, type StateMachine } from 'quorumkit';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A replicated string map; commands are JSON `{ set: [key, value] }`. */
class MapMachine implements StateMachine<string> {
  readonly data = new Map<string, string>();
  apply(command: Uint8Array): string {
    try {
      const { set } = JSON.parse(dec.decode(command)) as { set: [string, string] };
      this.data.set(set[0], set[1]);
      return `ok ${set[0]}=${set[1]}`;
    } catch {
      return 'error: malformed command';
    }
  }
  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }
  restore(s: Uint8Array): void {
    this.data.clear();
    for (const [k, v] of JSON.parse(dec.decode(s)) as [string, string][]) this.data.set(k, v);
  }
}

function table(rows: RaftStatus[]): string {
  const head = ['ID', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'LAST'];
  const lines = rows.map((s) => [s.id, s.role, String(s.term), s.leaderId ?? '-', String(s.commitIndex), String(s.appliedIndex), String(s.lastLogIndex)]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (at most `ms`) until every node follows one leader and has applied the same index; on a loaded machine an election may still be running when the partition heals. */
async function settled(nodes: RaftNode<string>[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const agreed = () => {
    const s = nodes.map((n) => n.status());
    return s[0]!.leaderId !== null && s.every((x) => x.leaderId === s[0]!.leaderId && x.appliedIndex === s[0]!.appliedIndex);
  };
  while (!agreed() && Date.now() < deadline) await sleep(20);
}

/** Run the demo; `log` receives every line it prints. */
export async function main(log: (line: string) => void = console.log): Promise<{ failedOver: boolean; caughtUp: boolean }> {
  const network = new MemoryNetwork();
  const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];
  const machines = new Map(ids.map((id) => [id, new MapMachine()]));
  const nodes = ids.map((id) => new RaftNode({ id, peers: ids, transport: network.transport(id), storage: new MemoryStorage(), stateMachine: machines.get(id)! }));
  const status = () => table(nodes.map((n) => n.status()));
  const propose = (n: RaftNode<string>, k: string, v: string) => n.propose(enc.encode(JSON.stringify({ set: [k, v] })));

  log('Starting a 5-node cluster in this process (MemoryNetwork + MemoryStorage)...');
  await Promise.all(nodes.map((n) => n.start()));
  const first = await nodes[0]!.waitForLeader();
  await Promise.all(nodes.map((n) => n.waitForLeader()));
  log(`Leader elected: ${first}\n`);

  for (const [k, v] of [['region', 'eu-west'], ['replicas', '3'], ['image', 'nginx:1.27']] as const) {
    log(`propose ${k}=${v} via m2 (forwarded to the leader) -> ${await propose(nodes[1]!, k, v)}`);
  }
  await Promise.all(nodes.map((n) => n.read()));
  log(`\n${status()}\n`);

  log(`Partitioning the leader ${first} away from the others...`);
  network.isolate(first);
  const rest = nodes.filter((n) => n.id !== first);
  const deadline = Date.now() + 5000;
  let next: string | null = null;
  while (Date.now() < deadline) {
    next = rest.find((n) => n.isLeader)?.id ?? null;
    if (next !== null) break;
    await sleep(20);
  }
  const failedOver = next !== null && next !== first;
  log(failedOver ? `The majority elected ${next}.` : 'No new leader within 5 s.');
  if (next !== null) log(`propose replicas=5 via ${next} -> ${await propose(nodes.find((n) => n.id === next)!, 'replicas', '5')}`);
  log(`\n${status()}\n`);

  log('Healing the partition; the old leader steps down and catches up...');
  network.heal();
  await sleep(400);
  await Promise.all(nodes.map((n) => n.read().catch(() => undefined)));
  await settled(nodes, 5000);
  const caughtUp = machines.get(first)!.data.get('replicas') === '5';
  log(`${first} now reads replicas=${machines.get(first)!.data.get('replicas')}\n\n${status()}\n`);

  await Promise.all(nodes.map((n) => n.stop()));
  log('Stopped. Next: examples/three-nodes.ts, and `npm test` for the whole suite.');
  return { failedOver, caughtUp };
}

if (process.argv[1]?.endsWith('demo.ts')) await main();
