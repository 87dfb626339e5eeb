import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/storage/memory.js';
import { runStorageSuite, type StorageUnderTest } from '../../src/testing/conformance/storage.js';
import { SimNode } from './file/sim-helpers.js';

runStorageSuite((): StorageUnderTest => {
  const m = new MemoryStorage();
  // Memory is "durable" while the object lives, so a restart keeps the object.
  return { open: async () => m, reopen: async () => m };
}, { describe, it }, 'MemoryStorage conformance');

let seed = 0;
runStorageSuite((): StorageUnderTest => {
  const node = new SimNode(++seed, { segmentBytes: 1024 });
  return {
    open: async () => node.driven,
    // A crash that drops every unsynced change: only what saves made durable comes back.
    reopen: async () => {
      node.restart(node.disk.crash('drop'));
      return node.driven;
    },
  };
}, { describe, it }, 'FileStorage on SimDisk conformance');

describe('the storage conformance suite itself', () => {
  /** A storage that ignores suffix truncation (appends blindly) and forgets everything on reopen. */
  class Broken extends MemoryStorage {
    override async save(u: Parameters<MemoryStorage['save']>[0]): Promise<void> {
      const log = this.entries as import('../../src/raft/core/types.js').Entry[];
      if (u.hardState !== null) await super.save({ hardState: u.hardState, entries: [] });
      log.push(...u.entries);
    }
  }

  it('fails the cases a broken storage breaks, and only those', async () => {
    const { storageConformanceCases } = await import('../../src/testing/conformance/storage.js');
    const failed: string[] = [];
    const cases = storageConformanceCases(() => ({ open: async () => new Broken(), reopen: async () => new MemoryStorage() }));
    for (const c of cases) await c.run().catch(() => failed.push(c.name));
    expect(failed).toEqual([
      'truncates the stored suffix from the first new entry',
      'refuses an append that would leave a hole',
      'saves a snapshot and compacts the log to compactTo',
      'saves a snapshot that discards the log',
      'loads after reopen exactly what resolved saves left',
      'keeps a save that runs while a compacting snapshot is written',
      'appends entries after a snapshot',
    ]);
  });
});
