import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';

describe('errors', () => {
  it('every error has a stable code and says whether it is definite', () => {
    const e = new errors.NotLeaderError('b', 'tcp://b:1');
    expect(e.code).toBe('NOT_LEADER');
    expect(e.leaderId).toBe('b');
    expect(e.leaderAddress).toBe('tcp://b:1');
    expect(e.definite).toBe(true);
    expect(new errors.TimeoutError().definite).toBe(false);
    expect(new errors.LeadershipLostError().definite).toBe(false);
    expect(new errors.ProposalDroppedError().definite).toBe(true);
    expect(e).toBeInstanceOf(errors.QuorumkitError);
    expect(e.name).toBe('NotLeaderError');
  });

  it('isQuorumkitError checks the code and rejects foreign errors', () => {
    const e = new errors.NoQuorumError();
    expect(errors.isQuorumkitError(e)).toBe(true);
    expect(errors.isQuorumkitError(e, 'NO_QUORUM')).toBe(true);
    expect(errors.isQuorumkitError(e, 'TIMEOUT')).toBe(false);
    expect(errors.isQuorumkitError(new Error('x'))).toBe(false);
    expect(errors.isQuorumkitError({ code: 'NO_QUORUM' })).toBe(false);
    expect(errors.isQuorumkitError(null)).toBe(false);
  });

  it('isQuorumkitError recognises an error from a second copy of the package', async () => {
    // A second module instance stands for a second installed copy: instanceof fails, the guard does not.
    const secondCopy = '../src/errors.ts?second-copy';
    const other = (await import(/* @vite-ignore */ secondCopy)) as typeof errors;
    expect(other.QuorumkitError).not.toBe(errors.QuorumkitError);
    const e = new other.TimeoutError();
    expect(e instanceof errors.QuorumkitError).toBe(false);
    expect(errors.isQuorumkitError(e, 'TIMEOUT')).toBe(true);
  });

  it('keeps the cause', () => {
    const cause = new Error('disk');
    expect(new errors.StorageFailureError('x', cause).cause).toBe(cause);
  });
});
