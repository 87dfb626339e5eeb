/**
 * The Ready batch (etcd-raft's `Ready`): everything the core hands its
 * driver at once — hard and soft state when they changed, entries to
 * persist, committed entries to apply, messages to send (some only after
 * the persist), read states and a snapshot to install — and the
 * acknowledgements that come back.
 * @module
 */
import { maybeCommit, bcastAppend } from './leader.js';
import type { RaftCore } from './raft.js';
import { finishInstall } from './snapshot.js';
import type { Ready, SoftState } from './types.js';

/** The volatile state a Ready reports when it changes. */
export function softStateOf(r: RaftCore): SoftState {
  return { role: r.role, leaderId: r.leaderId, term: r.term };
}

function hardStateChanged(r: RaftCore): boolean {
  const p = r.prevHard;
  return p.term !== r.term || p.vote !== r.vote || p.commit !== r.log.committed;
}

function softStateChanged(r: RaftCore): boolean {
  const p = r.prevSoft;
  return p.role !== r.role || p.leaderId !== r.leaderId || p.term !== r.term;
}

function flushAppends(r: RaftCore): void {
  if (r.role === 'leader' && (r.appendsDirty || r.commitDirty)) {
    bcastAppend(r, r.commitDirty);
    r.appendsDirty = false;
    r.commitDirty = false;
  }
}

/** {@link RaftCore.hasReady}. */
export function hasReady(r: RaftCore): boolean {
  return (
    r.msgs.length > 0 ||
    r.msgsAfterPersist.length > 0 ||
    r.readStates.length > 0 ||
    r.log.hasUnpersisted() ||
    r.log.hasNextCommitted(r.opts.asyncStorageWrites) ||
    hardStateChanged(r) ||
    softStateChanged(r) ||
    r.pendingInstall !== null ||
    (r.role === 'leader' && (r.appendsDirty || r.commitDirty))
  );
}

/** {@link RaftCore.ready}: take everything pending, flushing the leader's appends first. */
export function takeReady(r: RaftCore): Ready {
  flushAppends(r);
  const softState = softStateChanged(r) ? softStateOf(r) : null;
  if (softState !== null) r.prevSoft = softState;
  const hardState = hardStateChanged(r) ? { term: r.term, vote: r.vote, commit: r.log.committed } : null;
  if (hardState !== null) r.prevHard = hardState;
  const rd: Ready = {
    softState,
    hardState,
    entries: r.log.takeUnpersisted(),
    committedEntries: r.log.takeCommitted(r.opts.asyncStorageWrites),
    messages: r.msgs,
    messagesAfterPersist: r.msgsAfterPersist,
    readStates: r.readStates,
    snapshot: r.pendingInstall,
  };
  r.pendingInstall = null;
  r.msgs = [];
  r.msgsAfterPersist = [];
  r.readStates = [];
  return rd;
}

/** {@link RaftCore.advance}: a Ready's snapshot is installed, its entries applied (and, with synchronous writes, durable). */
export function advanceReady(r: RaftCore, rd: Ready): void {
  if (rd.snapshot !== null) finishInstall(r, rd.snapshot);
  const lastNew = rd.entries[rd.entries.length - 1];
  if (lastNew !== undefined && !r.opts.asyncStorageWrites) persistedTo(r, lastNew.index, lastNew.term);
  const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
  if (lastApplied !== undefined) {
    r.log.appliedTo(lastApplied.index);
    if (r.role === 'leader') {
      for (const e of rd.committedEntries) r.uncommittedBytes -= e.data.byteLength;
      if (r.uncommittedBytes < 0) r.uncommittedBytes = 0;
    }
  }
}

/** {@link RaftCore.persisted}: the log is durable up to (index, term); a leader counts itself for commit only that far. */
export function persistedTo(r: RaftCore, index: number, term: number): void {
  r.log.stableTo(index, term);
  if (r.role !== 'leader') return;
  const self = r.tracker.progress.get(r.id);
  if (self !== undefined && self.maybeUpdate(r.log.stable)) maybeCommit(r);
}
