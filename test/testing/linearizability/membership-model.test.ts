import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../../src/testing/linearizability/checker.js';
import { membershipModel, type MemberOp, type MemberState } from '../../../src/testing/linearizability/membership-model.js';

const at = (call: number, ret: number): { client: string; key: string; call: number; return: number; outcome: 'ok' } => ({ client: 'c1', key: 'm:w1', call, return: ret, outcome: 'ok' });
const check = (h: MemberOp[]): string => checkLinearizability<MemberState, MemberOp>(h, membershipModel).result;

describe('membershipModel', () => {
  it('accepts register, drain and read in order; a re-register keeps the availability', () => {
    expect(check([
      { ...at(0, 1), kind: 'setAvailability', input: 'pause', output: false },
      { ...at(2, 3), kind: 'register', output: 'active' },
      { ...at(4, 5), kind: 'setAvailability', input: 'drain', output: true },
      { ...at(6, 7), kind: 'register', output: 'drain' },
      { ...at(8, 9), kind: 'readNode', output: 'drain' },
    ])).toBe('ok');
  });

  it('rejects a stale read, an update that succeeded on an absent node, and a register that reset availability', () => {
    const reg: MemberOp = { ...at(0, 1), kind: 'register', output: 'active' };
    const drain: MemberOp = { ...at(2, 3), kind: 'setAvailability', input: 'drain', output: true };
    expect(check([reg, drain, { ...at(4, 5), kind: 'readNode', output: 'active' }])).toBe('illegal');
    expect(check([{ ...at(0, 1), kind: 'setAvailability', input: 'drain', output: true }])).toBe('illegal');
    expect(check([reg, drain, { ...at(4, 5), kind: 'register', output: 'active' }])).toBe('illegal');
  });

  it('an info update may or may not have happened', () => {
    const reg: MemberOp = { ...at(0, 1), kind: 'register', output: 'active' };
    const maybe: MemberOp = { client: 'c2', key: 'm:w1', call: 2, outcome: 'info', kind: 'setAvailability', input: 'pause' };
    expect(check([reg, maybe, { ...at(4, 5), kind: 'readNode', output: 'pause' }])).toBe('ok');
    expect(check([reg, maybe, { ...at(4, 5), kind: 'readNode', output: 'active' }])).toBe('ok');
    expect(check([reg, maybe, { ...at(4, 5), kind: 'readNode', output: 'drain' }])).toBe('illegal');
  });
});
