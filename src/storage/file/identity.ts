/**
 * Whose directory is this: the check that a node never starts on data
 * written for another cluster or another node.
 * @module
 */
import { InvalidConfigError, StorageCorruptionError } from '../../errors.js';
import type { Identity } from './format.js';

/**
 * Throw unless `found` (from `where`) belongs to the cluster and node of
 * `expected`. A different cluster or node is a configuration mistake (the
 * wrong directory), so it is an `InvalidConfigError`; a different storage id
 * inside one directory means files of two incarnations were mixed: corruption.
 */
export function checkIdentity(found: Identity, expected: Identity, where: string): void {
  for (const field of ['clusterId', 'nodeId'] as const) {
    if (found[field] !== expected[field]) {
      throw new InvalidConfigError(`${field}: expected ${JSON.stringify(found[field])} (the data at ${where} belongs to it), got ${JSON.stringify(expected[field])}; refusing to start`);
    }
  }
  if (found.storageId !== expected.storageId) {
    throw new StorageCorruptionError(`${where}: storage id ${found.storageId} differs from the directory's ${expected.storageId}`);
  }
}
