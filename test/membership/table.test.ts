import { describe, expect, it } from 'vitest';
import { keepsQuorum, managerStatusOf } from '../../src/membership/liveness.js';
import { formatTable } from '../../src/membership/table.js';
import type { NodeRecord } from '../../src/membership/types.js';

const node = (id: string, hostname: string, extra: Partial<NodeRecord> = {}): NodeRecord => ({
  id, hostname, address: '', role: 'worker', availability: 'active', status: 'ready', version: '27.0.1', labels: {}, createdAt: 0, updatedAt: 0, revision: 1, ...extra,
});

describe('formatTable', () => {
  it('prints the docker node ls columns, sorted by hostname, local node starred, capitalized values', () => {
    const out = formatTable(
      [
        node('w7', 'worker-b', { status: 'down', availability: 'drain' }),
        node('m1', 'alpha', { role: 'manager', managerStatus: 'leader' }),
        node('m2', 'beta', { role: 'manager', managerStatus: 'unreachable', status: 'unknown', version: '26.1.0' }),
        node('w3', 'worker-a', { availability: 'pause' }),
      ],
      { localId: 'm1' },
    );
    expect(out).toBe(
      [
        'ID     HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION',
        'm1 *   alpha      Ready     Active         Leader           27.0.1',
        'm2     beta       Unknown   Active         Unreachable      26.1.0',
        'w3     worker-a   Ready     Pause                           27.0.1',
        'w7     worker-b   Down      Drain                           27.0.1',
      ].join('\n'),
    );
  });

  it('prints only the header for an empty table', () => {
    expect(formatTable([])).toBe('ID   HOSTNAME   STATUS   AVAILABILITY   MANAGER STATUS   ENGINE VERSION');
  });
});

describe('manager status and quorum checks', () => {
  const live = { lastHeard: (id: string) => (id === 'b' ? 900 : id === 'c' ? 100 : undefined), now: () => 1000 };
  it('derives leader / reachable / unreachable on the leader, unknown elsewhere', () => {
    const leader = { id: 'a', role: 'leader' as const, leaderId: 'a', running: true };
    expect(managerStatusOf('a', leader, live, 500)).toBe('leader');
    expect(managerStatusOf('b', leader, live, 500)).toBe('reachable');
    expect(managerStatusOf('c', leader, live, 500)).toBe('unreachable');
    expect(managerStatusOf('d', leader, live, 500)).toBe('unreachable');
    const follower = { id: 'b', role: 'follower' as const, leaderId: 'a', running: true };
    expect(managerStatusOf('a', follower, live, 500)).toBe('leader');
    expect(managerStatusOf('b', follower, live, 500)).toBe('reachable');
    expect(managerStatusOf('c', follower, live, 500)).toBe('unknown');
  });

  it('refuses voter changes that leave no reachable quorum', () => {
    const up = (ids: string[]) => (id: string) => ids.includes(id);
    expect(keepsQuorum(['a', 'b', 'c'], up(['a', 'b']), { remove: 'a' })).toBe(false);
    expect(keepsQuorum(['a', 'b', 'c'], up(['a', 'b', 'c']), { remove: 'a' })).toBe(true);
    expect(keepsQuorum(['a', 'b', 'c'], up(['a', 'b']), { add: 'd' })).toBe(true);
    expect(keepsQuorum(['a', 'b', 'c', 'd'], up(['a']), { add: 'e' })).toBe(false);
    expect(keepsQuorum(['a'], up(['a']), { remove: 'a' })).toBe(false);
  });
});
