/**
 * A child process of the gossip bench: runs the seed jobs its parent sends
 * (one at a time) and answers each with its figures.
 */
import { runSeed, type SeedJob } from './gossip.js';

process.on('message', (job: SeedJob) => {
  try {
    process.send!({ ok: true, result: runSeed(job) });
  } catch (e) {
    process.send!({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
