/**
 * The node table of a Swarm-like cluster: five managers and twenty workers
 * registered, two managers stopped, the table printed, one worker drained
 * and one promoted to manager (it becomes a Raft voter).
 * Run it with `npx tsx examples/membership.ts`.
 */
import { MemoryNetwork, MemoryStorage, RaftNode, realClock } from 'quorumkit';
import { KvClient, KvStateMachine, type KvResult } from 'quorumkit';
import { LivenessTracker, MembershipStore, membershipExtension, raftVoterChanger } from 'quorumkit';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function managerNode(network: MemoryNetwork, id: string, peers: string[], live: LivenessTracker, join = false): RaftNode<KvResult> {
  return new RaftNode<KvResult>({
    id,
    peers,
    join,
    // The tracker records when each peer was last heard from: the MANAGER STATUS column.
    transport: live.wrap(network.transport(id)),
    storage: new MemoryStorage(),
    // Every manager's state machine carries the node table's rules.
    stateMachine: new KvStateMachine({ extensions: [membershipExtension] }),
  });
}

export interface MembershipDemoResult {
  /** The table after two managers stopped. */
  readonly before: string;
  /** The table after the drain and the promotion. */
  readonly after: string;
  /** Raft voters at the end. */
  readonly voters: string[];
}

export async function main(log: (line: string) => void = console.log): Promise<MembershipDemoResult> {
  const network = new MemoryNetwork();
  const managers = ['m1', 'm2', 'm3', 'm4', 'm5'];
  const trackers = new Map(managers.map((id) => [id, new LivenessTracker(realClock())]));
  const nodes = managers.map((id) => managerNode(network, id, managers, trackers.get(id)!));
  await Promise.all(nodes.map((n) => n.start()));
  const leaderId = await nodes[0]!.waitForLeader();
  const leader = nodes.find((n) => n.id === leaderId)!;
  const table = new MembershipStore({
    client: new KvClient(leader),
    voters: raftVoterChanger(leader),
    liveness: trackers.get(leaderId)!,
    reachableWithinMs: 400,
  });

  for (const [i, id] of managers.entries()) {
    await table.register({ id, hostname: `manager-${i + 1}`, address: `memory://${id}`, role: 'manager', version: '27.3.1' });
  }
  for (let i = 1; i <= 20; i++) {
    const n = String(i).padStart(2, '0');
    await table.register({ id: `w${n}`, hostname: `worker-${n}`, address: `memory://w${n}`, version: i % 4 === 0 ? '26.1.4' : '27.3.1', labels: { zone: i % 2 ? 'a' : 'b' } });
  }

  // Two managers stop; three of five still make a majority, so the table keeps working.
  const stopped = nodes.filter((n) => n.id !== leaderId).slice(0, 2);
  for (const n of stopped) {
    await n.stop();
    await table.update(n.id, { status: 'down' });
  }
  await sleep(800); // past reachableWithinMs: the leader has not heard from them since they stopped
  const before = await table.table();
  log(before);

  await table.drain('w07');
  // Promotion: the worker runs a Raft node that joins; it is added as a learner, caught up, then made a voter.
  const joining = managerNode(network, 'w03', [], new LivenessTracker(realClock()), true);
  await joining.start();
  await table.promote('w03');
  const after = await table.table();
  log('');
  log(after);

  const voters = [...leader.membership().voters].sort();
  await Promise.all([...nodes, joining].map((n) => n.stop()));
  return { before, after, voters };
}

if (process.argv[1]?.endsWith('membership.ts')) await main();
