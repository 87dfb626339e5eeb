/**
 * §7 InstallSnapshot at the receiver: chunks are written into one buffer
 * sized by the first chunk's `total` (no copy of the whole snapshot in one
 * piece at the end), and a chunk that disagrees with that size aborts the
 * transfer instead of being installed or throwing.
 */
import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../src/raft/core/raft.js';
import { MsgType, type Message, type SnapshotConfig, type SnapshotMsg } from '../../src/raft/core/types.js';
import { createPrng } from '../../src/util/prng.js';

const config: SnapshotConfig = { voters: ['a', 'b', 'c'], outgoing: [], learners: [], removed: [], epoch: 0, addresses: {} };

function follower(): RaftCore {
  return new RaftCore({ id: 'b', voters: ['a', 'b', 'c'], prng: createPrng(7), preVote: false, hardState: { term: 1, vote: null, commit: 0 }, entries: [] });
}

function chunk(offset: number, data: number[], total: number, done: boolean): SnapshotMsg {
  return { type: MsgType.Snapshot, from: 'a', to: 'b', term: 1, index: 10, snapTerm: 1, config, offset, total, data: Uint8Array.from(data), done };
}

/** Step `msgs`, then take one Ready: what the follower answered and what it would install. */
function feed(c: RaftCore, msgs: SnapshotMsg[]): { answers: Message[]; installed: Uint8Array | null } {
  for (const m of msgs) c.step(m);
  const rd = c.ready();
  c.advance(rd);
  return { answers: [...rd.messages, ...rd.messagesAfterPersist], installed: rd.snapshot?.data ?? null };
}

const rejected = (answers: Message[]) => answers.some((m) => m.type === MsgType.SnapshotResp && m.reject);

describe('§7 snapshot chunks at the receiver', () => {
  it('assembles in-order chunks into the whole snapshot', () => {
    const r = feed(follower(), [chunk(0, [1, 2], 5, false), chunk(2, [3, 4], 5, false), chunk(4, [5], 5, true)]);
    expect(rejected(r.answers)).toBe(false);
    expect([...r.installed!]).toEqual([1, 2, 3, 4, 5]);
  });

  it('a chunk running past the announced total aborts the transfer (nothing installed, nothing thrown)', () => {
    const r = feed(follower(), [chunk(0, [1, 2], 3, false), chunk(2, [3, 4], 3, true)]);
    expect(rejected(r.answers)).toBe(true);
    expect(r.installed).toBeNull();
  });

  it('a chunk announcing another total than the first aborts the transfer', () => {
    const r = feed(follower(), [chunk(0, [1, 2], 4, false), chunk(2, [3, 4], 5, true)]);
    expect(rejected(r.answers)).toBe(true);
    expect(r.installed).toBeNull();
  });

  it('a last chunk short of the total installs nothing', () => {
    const r = feed(follower(), [chunk(0, [1, 2], 4, true)]);
    expect(r.installed).toBeNull();
  });

  it('a total too large to allocate refuses the transfer instead of throwing', () => {
    const r = feed(follower(), [chunk(0, [1], 2 ** 50, false)]);
    expect(rejected(r.answers)).toBe(true);
    expect(r.installed).toBeNull();
  });
});
