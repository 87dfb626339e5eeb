import { describe, expect, it } from 'vitest';

describe('examples/membership.ts', () => {
  it('registers 5 managers and 20 workers, shows two stopped managers, drains one worker and promotes another', async () => {
    const { main } = await import('../../examples/membership.js');
    const lines: string[] = [];
    const r = await main((l) => lines.push(l));
    const before = r.before.split('\n');
    expect(before[0]).toMatch(/^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION$/);
    expect(before).toHaveLength(26);
    expect(before.filter((l) => /Down\s+Active\s+Unreachable/.test(l))).toHaveLength(2);
    expect(before.filter((l) => /\s+Leader\s+/.test(l))).toHaveLength(1);
    expect(before.filter((l) => / \* /.test(l))).toHaveLength(1);
    const after = r.after.split('\n');
    expect(after.find((l) => l.startsWith('w07 '))).toMatch(/Ready\s+Drain/);
    expect(after.find((l) => l.startsWith('w03 '))).toMatch(/Ready\s+Active\s+Reachable/);
    expect(r.voters).toContain('w03');
    expect(r.voters).toHaveLength(6);
    expect(lines.join('\n')).toContain('worker-20');
  });
});
