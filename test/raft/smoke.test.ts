import { describe, expect, it } from 'vitest';
import { CoreCluster, enc } from './harness.js';

describe('core smoke', () => {
  it('single node elects itself and commits', () => {
    const c = new CoreCluster(['a']);
    const l = c.electLeader();
    expect(l.currentRole).toBe('leader');
    const r = l.propose([{ data: enc('x') }]);
    expect(r.ok).toBe(true);
    c.stabilize();
    expect(c.appliedData('a')).toEqual(['x']);
  });

  it('three nodes elect one leader and replicate', () => {
    const c = new CoreCluster(['a', 'b', 'c']);
    const l = c.electLeader();
    for (let i = 0; i < 10; i++) l.propose([{ data: enc(`v${i}`) }]);
    c.stabilize();
    c.tick(undefined, 2);
    for (const id of ['a', 'b', 'c']) expect(c.appliedData(id)).toHaveLength(10);
  });
});
