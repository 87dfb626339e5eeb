/**
 * ReadIndex bookkeeping on the leader (Raft dissertation §6.4). Reads that
 * arrive together share one heartbeat round: a round records the commit
 * index at its start and is released once a quorum answers a heartbeat
 * carrying its id (or a later round's id, which proves leadership later
 * still). At most one round is in flight; reads arriving meanwhile wait for
 * the next, so any number of reads costs two rounds at most.
 */
import type { NodeId } from './types.js';

/** A read request: who asked (this node or a follower) and its id there. */
export interface ReadRequest {
  readonly from: NodeId;
  readonly ctx: number;
}

interface Round {
  readonly id: number;
  readonly index: number;
  readonly requests: ReadRequest[];
  readonly acks: Set<NodeId>;
}

export class ReadIndexTracker {
  private rounds: Round[] = [];
  private queued: ReadRequest[] = [];
  private nextId = 1;

  /** Queue a request for the next round. */
  enqueue(req: ReadRequest): void {
    this.queued.push(req);
  }

  /** Whether a round may start now (requests waiting, none in flight). */
  canStartRound(): boolean {
    return this.queued.length > 0 && this.rounds.length === 0;
  }

  /** Start a round at commit index `index`; returns its id. `self` acks at once. */
  startRound(index: number, self: NodeId): number {
    const round: Round = { id: this.nextId++, index, requests: this.queued, acks: new Set([self]) };
    this.queued = [];
    this.rounds.push(round);
    return round.id;
  }

  /** Id of the newest round in flight, or 0 (heartbeats carry it so a lost answer is retried). */
  latestRoundId(): number {
    return this.rounds.length === 0 ? 0 : this.rounds[this.rounds.length - 1]!.id;
  }

  /**
   * Record `from` answering a heartbeat for round `id`. If `quorum` of the
   * acks now holds, returns every request of that round and of earlier ones,
   * each with its round's read index; else an empty list.
   */
  ack(id: number, from: NodeId, quorum: (acks: ReadonlySet<NodeId>) => boolean): { req: ReadRequest; index: number }[] {
    const pos = this.rounds.findIndex((r) => r.id === id);
    if (pos < 0) return [];
    const round = this.rounds[pos]!;
    round.acks.add(from);
    if (!quorum(round.acks)) return [];
    const released = this.rounds.splice(0, pos + 1);
    const out: { req: ReadRequest; index: number }[] = [];
    for (const r of released) for (const req of r.requests) out.push({ req, index: r.index });
    return out;
  }

  /** Drop everything (leadership lost); returns the requests dropped. */
  reset(): ReadRequest[] {
    const dropped = [...this.rounds.flatMap((r) => r.requests), ...this.queued];
    this.rounds = [];
    this.queued = [];
    return dropped;
  }

  /** Requests waiting or in flight. */
  get size(): number {
    return this.queued.length + this.rounds.reduce((n, r) => n + r.requests.length, 0);
  }
}
