import { describe, expect, it } from 'vitest';
import { EventLoop } from '../../../src/testing/sim/event-loop.js';
import { SimStreams } from '../../../src/testing/sim/faults.js';
import { firstDivergence, TraceHasher, type TraceValue } from '../../../src/testing/sim/trace.js';
import { PacketFabric } from '../../../src/transport/fabric.js';

const hashOf = (...events: TraceValue[][]): string => {
  const t = new TraceHasher();
  for (const e of events) t.append(...e);
  return t.hash;
};

describe('TraceHasher', () => {
  it('hashes the same events in the same order to the same 64-bit hex value', () => {
    const h = hashOf(['send', 1, 'n1', 'n2'], ['deliver', 2.5, new Uint8Array([1, 2])]);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(hashOf(['send', 1, 'n1', 'n2'], ['deliver', 2.5, new Uint8Array([1, 2])])).toBe(h);
  });

  it('tells apart order, types, nesting and event boundaries', () => {
    const distinct = [
      hashOf(['a'], ['b']),
      hashOf(['b'], ['a']),
      hashOf(['a', 'b']),
      hashOf(['ab']),
      hashOf([['a', 'b']]),
      hashOf([1]),
      hashOf(['1']),
      hashOf([true]),
      hashOf([null]),
      hashOf([undefined]),
      hashOf([new Uint8Array([1])]),
      hashOf([]),
      hashOf(),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
  });

  it('finds the first diverging event, and -1 or the shorter length otherwise', () => {
    const x = new TraceHasher({ keepHistory: true });
    const y = new TraceHasher({ keepHistory: true });
    for (let i = 0; i < 100; i++) {
      x.append('ev', i);
      y.append('ev', i === 37 ? -1 : i);
    }
    expect(firstDivergence(x, y)).toBe(37);
    const p = new TraceHasher({ keepHistory: true });
    const q = new TraceHasher({ keepHistory: true });
    for (let i = 0; i < 10; i++) p.append(i);
    for (let i = 0; i < 10; i++) q.append(i);
    expect(firstDivergence(p, q)).toBe(-1);
    q.append(10);
    expect(firstDivergence(p, q)).toBe(10);
    expect(() => new TraceHasher().hashAfter(0)).toThrow(/keepHistory/);
  });

  it('keeps the text of the last events for reports', () => {
    const t = new TraceHasher({ keepLast: 2 });
    t.append('a', 1);
    t.append('b', [2, 3]);
    t.append('c', new Uint8Array(4));
    expect(t.recent()).toEqual(['b [2,3]', 'c <4 bytes>']);
    expect(t.count).toBe(3);
  });

  it('serves as a determinism self-test of a seeded network run', () => {
    const run = (seed: number): string => {
      const streams = new SimStreams(seed);
      const loop = new EventLoop();
      const fabric = new PacketFabric<number>(loop.clock(), streams.network, { drop: 0.1, duplicate: 0.1, minDelayMs: 1, maxDelayMs: 20 });
      const trace = new TraceHasher();
      for (const id of ['n1', 'n2', 'n3']) fabric.attach(id, (from, p) => trace.append('deliver', loop.now, from, id, p));
      const clients = streams.clients;
      for (let i = 0; i < 200; i++) loop.schedule(clients.int(100), () => fabric.send(`n${1 + clients.int(3)}`, `n${1 + clients.int(3)}`, i));
      loop.runFor(200);
      return trace.hash;
    };
    expect(run(1)).toBe(run(1));
    expect(run(1)).not.toBe(run(2));
  });
});
