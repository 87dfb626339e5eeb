import { describe, expect, it } from 'vitest';
import { isQuorumkitError } from '../../src/errors.js';
import { resolveNodeOptions, RAFT_NODE_DEFAULTS } from '../../src/raft/options.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { LogMachine } from './node-cluster.js';

const base = () => ({ id: 'a', peers: ['a', 'b', 'c'], transport: new MemoryNetwork().transport('a'), storage: new MemoryStorage(), stateMachine: new LogMachine() });

describe('RaftNode options', () => {
  it('fills documented defaults and converts times to ticks', () => {
    const o = resolveNodeOptions(base());
    expect(o.electionTimeoutMs).toBe(150);
    expect(o.heartbeatIntervalMs).toBe(50);
    expect(o.preVote && o.checkQuorum && o.forwardProposals).toBe(true);
    expect(o.electionTicks).toBe(15);
    expect(o.heartbeatTicks).toBe(5);
    expect(Object.isFrozen(RAFT_NODE_DEFAULTS)).toBe(true);
  });

  it('adds the node itself to its peers', () => {
    expect(resolveNodeOptions({ ...base(), peers: ['b', 'c'] }).peers).toEqual(['b', 'c', 'a']);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['heartbeat not below election timeout', { heartbeatIntervalMs: 200 }, /heartbeatIntervalMs: expected less than electionTimeoutMs/],
    ['election timeout under two ticks', { electionTimeoutMs: 10 }, /electionTimeoutMs: expected at least 2/],
    ['negative timeout', { requestTimeoutMs: -1 }, /requestTimeoutMs: expected a positive number, got -1/],
    ['empty id', { id: '' }, /id: expected a non-empty string/],
    ['duplicate peers', { peers: ['a', 'b', 'b'] }, /peers: expected distinct ids/],
    ['missing storage', { storage: undefined as unknown }, /storage: expected an object/],
  ];
  for (const [name, patch, msg] of bad) {
    it(`rejects ${name} with InvalidConfigError`, () => {
      let err: unknown;
      try {
        resolveNodeOptions({ ...base(), ...patch } as Parameters<typeof resolveNodeOptions>[0]);
      } catch (e) {
        err = e;
      }
      expect(isQuorumkitError(err, 'INVALID_CONFIG')).toBe(true);
      expect((err as Error).message).toMatch(msg);
    });
  }
});
