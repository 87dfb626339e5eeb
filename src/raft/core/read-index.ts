/**
 * ReadIndex and lease bookkeeping on the leader (Raft dissertation §6.4).
 * Every heartbeat broadcast carries a fresh sequence number; followers echo
 * it. A read round records the commit index when it starts and is released
 * once a quorum has echoed its heartbeat or a later one (which proves
 * leadership later still). Reads arriving while a round is in flight wait
 * for the next, so any number of reads costs two rounds at most. The same
 * echoes date the leader's lease: a quorum that answered a heartbeat sent at
 * tick T will not elect anyone else before T + election timeout.
 */
import type { NodeId } from './types.js';

/** A read request: who asked (this node or a follower) and its id there. */
export interface ReadRequest {
  readonly from: NodeId;
  readonly ctx: number;
}

interface Round {
  readonly seq: number;
  readonly index: number;
  readonly requests: ReadRequest[];
}

export class ReadIndexTracker {
  private rounds: Round[] = [];
  private queued: ReadRequest[] = [];
  private seq = 0;
  private readonly sentAt = new Map<number, number>();
  private readonly acked = new Map<NodeId, number>();

  /** Queue a request for the next round. */
  enqueue(req: ReadRequest): void {
    this.queued.push(req);
  }

  /** Whether a round should start now (requests waiting, none in flight). */
  canStartRound(): boolean {
    return this.queued.length > 0 && this.rounds.length === 0;
  }

  /** Number a heartbeat broadcast sent at `tick`; queued reads ride on it if no round is in flight. */
  nextHeartbeat(tick: number, commitIndex: number): number {
    const seq = ++this.seq;
    this.sentAt.set(seq, tick);
    if (this.sentAt.size > 256) this.sentAt.delete(seq - 256);
    if (this.canStartRound()) {
      this.rounds.push({ seq, index: commitIndex, requests: this.queued });
      this.queued = [];
    }
    return seq;
  }

  /**
   * `from` echoed heartbeat `seq`. `quorumSeq` computes the highest sequence
   * a quorum has echoed from the per-voter echoes. Returns the requests of
   * every round that quorum now covers, each with its read index.
   */
  ack(seq: number, from: NodeId, quorumSeq: (ackedOf: (id: NodeId) => number) => number): { req: ReadRequest; index: number }[] {
    if (seq > this.seq || seq <= (this.acked.get(from) ?? 0)) return [];
    this.acked.set(from, seq);
    if (this.rounds.length === 0) return [];
    const q = quorumSeq((id) => this.acked.get(id) ?? 0);
    const out: { req: ReadRequest; index: number }[] = [];
    while (this.rounds.length > 0 && this.rounds[0]!.seq <= q) {
      const r = this.rounds.shift()!;
      for (const req of r.requests) out.push({ req, index: r.index });
    }
    return out;
  }

  /** The tick until which the leader holds its lease: sent time of the quorum-echoed heartbeat + `leaseTicks`. */
  leaseUntil(quorumSeq: (ackedOf: (id: NodeId) => number) => number, leaseTicks: number): number {
    const q = quorumSeq((id) => this.acked.get(id) ?? 0);
    const sent = this.sentAt.get(q);
    return sent === undefined ? Number.NEGATIVE_INFINITY : sent + leaseTicks;
  }

  /** The newest heartbeat number sent (this node's own echo). */
  get current(): number {
    return this.seq;
  }

  /** Drop everything (leadership lost); the requesters' drivers retry or time out. */
  reset(): void {
    this.rounds = [];
    this.queued = [];
    this.acked.clear();
    this.sentAt.clear();
    this.seq = 0;
  }
}
