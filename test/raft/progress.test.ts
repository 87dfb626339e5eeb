import { describe, expect, it } from 'vitest';
import { Inflights } from '../../src/raft/core/inflights.js';
import { Progress } from '../../src/raft/core/progress.js';

const pr = (next: number, match = 0, maxInflight = 4, maxBytes = 1000): Progress => {
  const p = new Progress(next, maxInflight, maxBytes);
  p.match = match;
  return p;
};

describe('Progress state transitions', () => {
  it('a new progress probes and is not paused until a probe is sent', () => {
    const p = pr(5);
    expect([p.state, p.isPaused()]).toEqual(['probe', false]);
    p.sentEntries(7, 10);
    expect(p.isPaused()).toBe(true);
    expect(p.next).toBe(5); // probe does not advance next optimistically
  });

  it('probe → replicate: next = match + 1, window empty', () => {
    const p = pr(5, 3);
    p.sentEntries(6, 1);
    p.becomeReplicate();
    expect([p.state, p.next, p.probeSent, p.inflights.count]).toEqual(['replicate', 4, false, 0]);
  });

  it('replicate advances next optimistically and pauses when the window fills', () => {
    const p = pr(1, 0, 2);
    p.becomeReplicate();
    p.sentEntries(3, 5);
    expect([p.next, p.isPaused()]).toEqual([4, false]);
    p.sentEntries(6, 5);
    expect([p.next, p.isPaused()]).toEqual([7, true]);
    p.inflights.freeLE(3);
    expect(p.isPaused()).toBe(false);
  });

  it('replicate → probe falls back to match + 1 and forgets the window', () => {
    const p = pr(1, 0);
    p.becomeReplicate();
    p.sentEntries(5, 5);
    p.maybeUpdate(2);
    p.becomeProbe();
    expect([p.state, p.next, p.inflights.count]).toEqual(['probe', 3, 0]);
  });

  it('snapshot pauses; leaving it probes after the snapshot', () => {
    const p = pr(3, 2);
    p.becomeSnapshot(10);
    expect([p.state, p.isPaused(), p.pendingSnapshot]).toEqual(['snapshot', true, 10]);
    p.becomeProbe();
    expect([p.state, p.next, p.pendingSnapshot]).toEqual(['probe', 11, 0]);
  });

  it('maybeUpdate moves match forward only, keeps next ahead of it and unpauses a probe', () => {
    const p = pr(5, 3);
    p.sentEntries(5, 1);
    expect(p.maybeUpdate(2)).toBe(false);
    expect(p.isPaused()).toBe(true);
    expect(p.maybeUpdate(6)).toBe(true);
    expect([p.match, p.next, p.isPaused()]).toEqual([6, 7, false]);
  });
});

describe('Progress.maybeDecrTo', () => {
  it('replicate: a rejection at or below match is stale and ignored', () => {
    const p = pr(1, 5);
    p.becomeReplicate();
    p.sentEntries(9, 1);
    expect(p.maybeDecrTo(5, 0)).toBe(false);
    expect(p.next).toBe(10);
  });

  it('replicate: a fresh rejection goes back to match + 1, whatever the hint', () => {
    const p = pr(1, 5);
    p.becomeReplicate();
    p.sentEntries(9, 1);
    expect(p.maybeDecrTo(9, 2)).toBe(true);
    expect(p.next).toBe(6);
  });

  it('probe: only the answer to the latest probe counts', () => {
    const p = pr(10, 0);
    p.sentEntries(12, 1);
    expect(p.maybeDecrTo(7, 3)).toBe(false); // an older probe's answer
    expect([p.next, p.isPaused()]).toEqual([10, true]);
    expect(p.maybeDecrTo(9, 3)).toBe(true);
    expect([p.next, p.isPaused()]).toEqual([4, false]);
  });

  it('probe: the hint never moves next forward, and never below match + 1 or 1', () => {
    const a = pr(10, 0);
    expect(a.maybeDecrTo(9, 20)).toBe(true);
    expect(a.next).toBe(9);
    const b = pr(10, 6);
    expect(b.maybeDecrTo(9, 2)).toBe(true);
    expect(b.next).toBe(7);
    const c = pr(2, 0);
    expect(c.maybeDecrTo(1, 0)).toBe(true);
    expect(c.next).toBe(1);
  });
});

describe('Inflights', () => {
  it('fills by count', () => {
    const f = new Inflights(3, 1000);
    f.add(1, 1);
    f.add(2, 1);
    expect(f.full()).toBe(false);
    f.add(3, 1);
    expect([f.full(), f.count]).toEqual([true, 3]);
  });

  it('fills by bytes, once the bound is reached', () => {
    const f = new Inflights(100, 10);
    f.add(1, 6);
    expect(f.full()).toBe(false);
    f.add(2, 4);
    expect([f.full(), f.inflightBytes]).toEqual([true, 10]);
  });

  it('freeLE frees every message up to an index, with its bytes', () => {
    const f = new Inflights(10, 100);
    for (let i = 1; i <= 5; i++) f.add(i * 2, i);
    f.freeLE(5); // frees 2 and 4
    expect([f.count, f.inflightBytes]).toEqual([3, 12]);
    f.freeLE(5);
    expect(f.count).toBe(3);
    f.freeLE(100);
    expect([f.count, f.inflightBytes]).toEqual([0, 0]);
  });

  it('freeFirstOne frees exactly the oldest; on empty it does nothing', () => {
    const f = new Inflights(10, 100);
    f.freeFirstOne();
    f.add(3, 1);
    f.add(7, 2);
    f.freeFirstOne();
    expect([f.count, f.inflightBytes]).toEqual([1, 2]);
  });

  it('stays correct across compaction of a long history', () => {
    const f = new Inflights(5, 1e9);
    let next = 1;
    for (let round = 0; round < 2000; round++) {
      while (!f.full()) f.add(next++, 3);
      f.freeLE(next - 3); // keep two in flight
      expect(f.count).toBe(2);
      expect(f.inflightBytes).toBe(6);
    }
  });

  it('reset forgets everything', () => {
    const f = new Inflights(2, 10);
    f.add(1, 10);
    f.reset();
    expect([f.count, f.inflightBytes, f.full()]).toEqual([0, 0, false]);
  });

  it('a probe rejected at or below match (the follower lost acknowledged entries: a replaced disk) is not retried at once', () => {
    // Found by the simulator: a wiped follower answered every probe at match with a rejection and the
    // leader re-sent at once, an App/AppResp storm at network speed. Retrying waits for the next heartbeat.
    const p = pr(70, 69);
    p.sentEntries(69, 0);
    expect(p.maybeDecrTo(69, 0)).toBe(false);
    expect(p.next).toBe(70);
    expect(p.match).toBe(69);
  });
});
