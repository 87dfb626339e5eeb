/** A RaftNode cluster over TcpTransport on loopback, real time, for tests and the bench. */
import { RaftNode } from '../../../src/raft/node.js';
import type { RaftNodeOptions } from '../../../src/raft/options.js';
import type { StateMachine } from '../../../src/raft/state-machine.js';
import { MemoryStorage } from '../../../src/storage/memory.js';
import { TcpTransport } from '../../../src/node/tcp/transport.js';
import type { TcpTransportOptions } from '../../../src/node/tcp/options.js';

/** Options each node's transport gets, by node id. */
export type TransportExtra = (id: string) => Partial<TcpTransportOptions>;

/** Nodes, transports and storages by id; restart keeps storage and port. */
export class TcpCluster<R> {
  readonly nodes = new Map<string, RaftNode<R>>();
  readonly transports = new Map<string, TcpTransport>();
  readonly storages = new Map<string, MemoryStorage>();
  readonly addresses = new Map<string, string>();

  constructor(
    readonly ids: string[],
    private readonly machine: () => StateMachine<R>,
    private readonly extra: TransportExtra = () => ({}),
    private readonly nodeExtra: Partial<RaftNodeOptions<R>> = {},
  ) {}

  /** Listen on free ports, tell every transport every address, start the nodes. */
  async start(): Promise<void> {
    for (const id of this.ids) {
      const t = new TcpTransport({ id, clusterId: 'test-cluster', ...this.extra(id) });
      this.transports.set(id, t);
      this.addresses.set(id, await t.listen());
    }
    for (const [id, t] of this.transports) for (const [peer, addr] of this.addresses) if (peer !== id) t.setPeer(peer, addr);
    for (const id of this.ids) this.create(id, this.transports.get(id)!);
    await Promise.all([...this.nodes.values()].map((n) => n.start()));
  }

  private create(id: string, transport: TcpTransport): RaftNode<R> {
    if (!this.storages.has(id)) this.storages.set(id, new MemoryStorage());
    const node = new RaftNode<R>({ id, peers: this.ids, transport, storage: this.storages.get(id)!, stateMachine: this.machine(), seed: this.ids.indexOf(id) + 1, ...this.nodeExtra });
    this.nodes.set(id, node);
    return node;
  }

  /** Stop one node (closing its transport), then start it again on the same port with its storage. */
  async restart(id: string): Promise<void> {
    await this.nodes.get(id)!.stop();
    await this.revive(id);
  }

  /** Start a stopped node again on the same port with its storage. */
  async revive(id: string): Promise<void> {
    const [host, port] = [this.addresses.get(id)!.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(this.addresses.get(id)!)![1])];
    const t = new TcpTransport({ id, clusterId: 'test-cluster', host, port, ...this.extra(id) });
    this.transports.set(id, t);
    for (const [peer, addr] of this.addresses) if (peer !== id) t.setPeer(peer, addr);
    await this.create(id, t).start();
  }

  /** The running leader, if exactly one node thinks it leads. */
  leader(): RaftNode<R> | undefined {
    const ls = [...this.nodes.values()].filter((n) => n.status().running && n.isLeader);
    return ls.length === 1 ? ls[0] : undefined;
  }

  /** Stop every node (and so every transport). */
  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.stop()));
  }
}
