import { describe, expect, it } from 'vitest';

describe('examples run', () => {
  it('three-nodes: commits a command that every node applies', async () => {
    const { main } = await import('../../examples/three-nodes.js');
    const r = await main();
    expect(['a', 'b', 'c']).toContain(r.leader);
    expect(r.result).toBe(5);
    expect(r.values).toEqual([5, 5, 5]);
  });
});
