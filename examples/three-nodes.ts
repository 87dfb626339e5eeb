/**
 * Three Raft nodes in one process commit a command: the README's quick start.
 * Run it with `npx tsx examples/three-nodes.ts`.
 */
import { MemoryNetwork, MemoryStorage, RaftNode, type StateMachine } from 'quorumkit';

/** The replicated state: a counter; each command adds its first byte. */
class Counter implements StateMachine<number> {
  value = 0;
  apply(command: Uint8Array): number {
    this.value += command[0] ?? 0;
    return this.value;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.value));
  }
  restore(snapshot: Uint8Array): void {
    this.value = Number(new TextDecoder().decode(snapshot));
  }
}

export async function main(): Promise<{ leader: string; result: number; values: number[] }> {
  const network = new MemoryNetwork();
  const ids = ['a', 'b', 'c'];
  const nodes = ids.map(
    (id) => new RaftNode({ id, peers: ids, transport: network.transport(id), storage: new MemoryStorage(), stateMachine: new Counter() }),
  );
  await Promise.all(nodes.map((n) => n.start()));
  const leader = (await Promise.all(nodes.map((n) => n.waitForLeader())))[0]!;
  // Any node accepts proposals; followers forward them to the leader.
  const result = await nodes[1]!.propose(Uint8Array.of(5));
  await Promise.all(nodes.map((n) => n.read())); // every node has applied it
  const values = nodes.map((n) => (n.stateMachine as Counter).value);
  console.log(`leader ${leader}; the command returned ${result}; every node's counter: ${values.join(', ')}`);
  await Promise.all(nodes.map((n) => n.stop()));
  return { leader, result, values };
}

if (process.argv[1]?.endsWith("three-nodes.ts")) await main();
