import { describe, expect, it } from 'vitest';
import { PendingProposals, type Waiter } from '../../src/raft/pending.js';
import { EntryType } from '../../src/raft/core/types.js';

function waiter(): { w: Waiter<string>; got: { value?: string; error?: Error } } {
  const got: { value?: string; error?: Error } = {};
  return { got, w: { resolve: (v) => (got.value = v), reject: (e) => (got.error = e), deadline: 1e9 } };
}

describe('PendingProposals.settle', () => {
  it('settles both the proposal made at the index and a forwarded proposal the entry carries', () => {
    const p = new PendingProposals<string>();
    const local = waiter();
    const forwarded = waiter();
    p.addAt(7, 2, local.w); // proposed here as leader of term 2, then lost
    p.addForwarded(41, forwarded.w); // forwarded later, and the new leader put it at index 7
    p.settle({ index: 7, term: 3, type: EntryType.Normal, data: new Uint8Array(), origin: 'me', seq: 41 }, 'me', 'ok', () => new Error('dropped'));
    expect(local.got.error?.message).toBe('dropped');
    expect(forwarded.got.value).toBe('ok');
    expect(p.size).toBe(0);
  });

  it('resolves a proposal whose entry committed in its term, and ignores other origins', () => {
    const p = new PendingProposals<string>();
    const local = waiter();
    const other = waiter();
    p.addAt(3, 1, local.w);
    p.addForwarded(5, other.w);
    p.settle({ index: 3, term: 1, type: EntryType.Normal, data: new Uint8Array(), origin: 'someone-else', seq: 5 }, 'me', 'r', () => new Error('dropped'));
    expect(local.got.value).toBe('r');
    expect(other.got).toEqual({});
    expect(p.size).toBe(1);
  });
});
