/**
 * InstallSnapshot (§7), streamed in chunks. The leader sends a lagging
 * follower its latest snapshot a window of chunks at a time, each
 * acknowledged; a chunk unacknowledged for too long, a rejection or a leader
 * change aborts the transfer, and a partial snapshot is never installed.
 * The follower assembles chunks and hands the whole snapshot to its driver.
 */
import { fromStored } from './confchange.js';
import { setConfig } from './membership.js';
import type { Progress } from './progress.js';
import type { RaftCore } from './raft.js';
import { MsgType, type NodeId, type ReadySnapshot, type SnapshotConfig, type SnapshotMsg } from './types.js';

/** The leader's latest snapshot, served to followers that need it. */
export interface SnapshotSource {
  readonly index: number;
  readonly term: number;
  readonly config: SnapshotConfig;
  readonly data: Uint8Array;
}

/** A transfer being received. */
export interface IncomingSnapshot {
  readonly from: NodeId;
  readonly index: number;
  readonly term: number;
  readonly config: SnapshotConfig;
  /** The whole snapshot, filled chunk by chunk (no copy of hundreds of megabytes in one piece at the end). */
  readonly data: Uint8Array;
  received: number;
}

/** Leader: start sending the snapshot to a follower whose next entry was compacted away. */
export function startSnapshotSend(r: RaftCore, to: NodeId, pr: Progress): boolean {
  const snap = r.snapshotSource;
  if (snap === null) return false;
  pr.becomeSnapshot(snap.index);
  pr.snapLastAckTick = r.ticks;
  r.counters.snapshotsSent++;
  sendChunks(r, to, pr);
  return true;
}

/** Send chunks while the window allows. */
function sendChunks(r: RaftCore, to: NodeId, pr: Progress): void {
  const snap = r.snapshotSource;
  if (snap === null || pr.pendingSnapshot !== snap.index) return;
  const size = r.opts.snapshotChunkBytes;
  const total = snap.data.byteLength;
  while (pr.snapSent - pr.snapAcked < size * r.opts.snapshotWindow && (pr.snapSent < total || (total === 0 && pr.snapSent === 0 && pr.snapAcked === 0))) {
    const offset = pr.snapSent;
    const data = snap.data.subarray(offset, Math.min(total, offset + size));
    const done = offset + data.byteLength === total;
    r.send({ type: MsgType.Snapshot, term: r.term, from: r.id, to, index: snap.index, snapTerm: snap.term, config: snap.config, offset, total, data, done });
    pr.snapSent = offset + data.byteLength;
    if (total === 0) break;
  }
}

/** Leader: a chunk acknowledgement or rejection. */
export function handleSnapshotResp(r: RaftCore, m: { from: NodeId; index: number; offset: number; reject: boolean }): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined || pr.state !== 'snapshot' || pr.pendingSnapshot !== m.index) return;
  pr.recentActive = true;
  if (m.reject) {
    abortSnapshot(r, pr);
    return;
  }
  if (m.offset > pr.snapAcked) {
    pr.snapAcked = m.offset;
    pr.snapLastAckTick = r.ticks;
  }
  sendChunks(r, m.from, pr);
}

function abortSnapshot(r: RaftCore, pr: Progress): void {
  r.counters.snapshotsAborted++;
  pr.becomeProbe(true);
}

/** Leader tick: abort transfers whose chunks went unacknowledged too long (they restart from scratch). */
export function tickSnapshots(r: RaftCore): void {
  for (const pr of r.tracker.progress.values()) {
    if (pr.state === 'snapshot' && r.ticks - pr.snapLastAckTick > r.opts.snapshotChunkTimeoutTicks) abortSnapshot(r, pr);
  }
}

/** Follower: one chunk arrived from the leader. */
export function handleSnapshotChunk(r: RaftCore, m: SnapshotMsg): void {
  if (m.index <= r.log.committed) {
    // Already have all of it: tell the leader where we are so it moves on.
    r.incoming = null;
    r.send({ type: MsgType.SnapshotResp, term: r.term, from: r.id, to: m.from, index: m.index, offset: m.total, reject: false });
    r.sendAfterPersist({ type: MsgType.AppResp, term: r.term, from: r.id, to: m.from, index: r.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
    return;
  }
  if (m.offset === 0) r.incoming = startIncoming(m);
  const inc = r.incoming;
  if (inc === null || inc.from !== m.from || inc.index !== m.index || inc.received !== m.offset || !fits(inc, m)) {
    r.incoming = null;
    r.send({ type: MsgType.SnapshotResp, term: r.term, from: r.id, to: m.from, index: m.index, offset: 0, reject: true });
    return;
  }
  inc.data.set(m.data, inc.received);
  inc.received += m.data.byteLength;
  r.send({ type: MsgType.SnapshotResp, term: r.term, from: r.id, to: m.from, index: m.index, offset: inc.received, reject: false });
  if (!m.done) return;
  r.incoming = null;
  if (inc.received !== inc.data.byteLength) return;
  r.pendingInstall = {
    index: inc.index,
    term: inc.term,
    config: inc.config,
    data: inc.data,
    discardLog: !r.log.matchTerm(inc.index, inc.term),
  };
  r.installFrom = m.from;
}

/** A new transfer's buffer, sized once from the first chunk's `total` (null if it cannot be had: the transfer is refused). */
function startIncoming(m: SnapshotMsg): IncomingSnapshot | null {
  try {
    return { from: m.from, index: m.index, term: m.snapTerm, config: m.config, data: new Uint8Array(m.total), received: 0 };
  } catch {
    return null;
  }
}

/** Whether a chunk agrees with its transfer's size. */
function fits(inc: IncomingSnapshot, m: SnapshotMsg): boolean {
  return m.total === inc.data.byteLength && inc.received + m.data.byteLength <= m.total;
}

/** Follower: the driver saved the snapshot and restored its state machine; adopt it. */
export function finishInstall(r: RaftCore, snap: ReadySnapshot): void {
  if (snap.index <= r.log.snapshotPoint().index) return;
  r.log.restore(snap.index, snap.term);
  setConfig(r, fromStored(snap.config));
  r.snapshotSource = { index: snap.index, term: snap.term, config: snap.config, data: snap.data };
  r.counters.snapshotsInstalled++;
  const to = r.installFrom;
  r.installFrom = null;
  // Only the snapshot is known to match the leader; entries we kept past it may not.
  if (to !== null) r.sendAfterPersist({ type: MsgType.AppResp, term: r.term, from: r.id, to, index: snap.index, reject: false, hintIndex: 0, hintTerm: 0 });
}
