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

describe('npm run demo', () => {
  it('elects, fails over when the leader is partitioned, and catches the old leader up', async () => {
    const { main } = await import('../../examples/demo.js');
    const lines: string[] = [];
    const r = await main((l) => lines.push(l));
    expect(r).toEqual({ failedOver: true, caughtUp: true });
    expect(lines.join('\n')).toMatch(/ID\s+ROLE\s+TERM/);
  });
});
