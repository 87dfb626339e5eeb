import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeHeap } from '../../src/util/heap.js';

describe('TimeHeap', () => {
  it('pops in (at, seq) order whatever the interleaving of pushes and pops', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 200 }),
      (ops) => {
        const heap = new TimeHeap<{ at: number; seq: number }>();
        const model: { at: number; seq: number }[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op >= 0) {
            const item = { at: op, seq: seq++ };
            heap.push(item);
            model.push(item);
          } else {
            model.sort((a, b) => a.at - b.at || a.seq - b.seq);
            expect(heap.pop()).toBe(model.shift());
          }
          expect(heap.size).toBe(model.length);
        }
        model.sort((a, b) => a.at - b.at || a.seq - b.seq);
        expect(heap.peek()).toBe(model[0]);
        for (const want of model) expect(heap.pop()).toBe(want);
        expect(heap.pop()).toBeUndefined();
      },
    ));
  });
});
