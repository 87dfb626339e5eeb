/** Model-based test: the KV state machine against a plain Map, with fast-check commands. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { as, b, Harness, s } from './helpers.js';

interface Entry {
  value: string;
  version: number;
  createRevision: number;
  modRevision: number;
}
interface Model {
  map: Map<string, Entry>;
  index: number;
  revision: number;
}
type Real = Harness;

const key = fc.constantFrom('a', 'a/1', 'a/2', 'ab', 'b', 'b/1', 'c');
const value = fc.string({ maxLength: 4 });

function write(m: Model, k: string, v: string): void {
  const cur = m.map.get(k);
  m.map.set(k, { value: v, version: (cur?.version ?? 0) + 1, createRevision: cur?.createRevision ?? m.index, modRevision: m.index });
  m.revision = m.index;
}

class Put implements fc.Command<Model, Real> {
  constructor(readonly k: string, readonly v: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.index++;
    const res = as(r.put(this.k, this.v), 'put');
    expect(s(res.prev?.value)).toBe(m.map.get(this.k)?.value);
    write(m, this.k, this.v);
    expect(res.revision).toBe(m.revision);
  }
  toString = () => `put(${this.k}, ${this.v})`;
}

class DeletePrefix implements fc.Command<Model, Real> {
  constructor(readonly k: string, readonly prefix: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.index++;
    const res = as(r.del(this.k, { prefix: this.prefix }), 'delete');
    const gone = [...m.map.keys()].filter((x) => (this.prefix ? x.startsWith(this.k) : x === this.k)).sort();
    expect(res.prev.map((kv) => kv.key)).toEqual(gone);
    for (const g of gone) m.map.delete(g);
    if (gone.length > 0) m.revision = m.index;
  }
  toString = () => `delete(${this.k}${this.prefix ? '*' : ''})`;
}

class Cas implements fc.Command<Model, Real> {
  constructor(readonly k: string, readonly version: number, readonly v: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.index++;
    const res = as(r.run({ type: 'txn', compare: [{ key: this.k, target: 'version', op: '=', value: this.version }], success: [{ type: 'put', key: this.k, value: b(this.v) }], failure: [{ type: 'range', key: this.k }] }), 'txn');
    const ok = (m.map.get(this.k)?.version ?? 0) === this.version;
    expect(res.succeeded).toBe(ok);
    if (ok) write(m, this.k, this.v);
  }
  toString = () => `cas(${this.k}, v${this.version}, ${this.v})`;
}

class RangeCheck implements fc.Command<Model, Real> {
  constructor(readonly k: string, readonly limit: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const res = r.sm.range({ key: this.k, prefix: true }, { limit: this.limit });
    const all = [...m.map.entries()].filter(([x]) => x.startsWith(this.k)).sort(([x], [y]) => (x < y ? -1 : 1));
    const want = this.limit === 0 ? all : all.slice(0, this.limit);
    expect(res.kvs.map((kv) => [kv.key, s(kv.value), kv.version, kv.createRevision, kv.modRevision])).toEqual(want.map(([x, e]) => [x, e.value, e.version, e.createRevision, e.modRevision]));
    expect(res.count).toBe(all.length);
    expect(res.more).toBe(all.length > want.length);
    expect(r.sm.revision).toBe(m.revision);
  }
  toString = () => `range(${this.k}*, limit ${this.limit})`;
}

describe('KvStateMachine against a Map model', () => {
  it('put, delete, prefix delete, CAS and range agree with the model (fast-check commands)', () => {
    const commands = [
      fc.tuple(key, value).map(([k, v]) => new Put(k, v)),
      fc.tuple(key, fc.boolean()).map(([k, p]) => new DeletePrefix(k, p)),
      fc.tuple(key, fc.nat(3), value).map(([k, ver, v]) => new Cas(k, ver, v)),
      fc.tuple(fc.constantFrom('', 'a', 'a/', 'b'), fc.nat(3)).map(([k, l]) => new RangeCheck(k, l)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        fc.modelRun(() => ({ model: { map: new Map(), index: 0, revision: 0 }, real: new Harness() }), cmds);
      }),
      { numRuns: 150 },
    );
  });

  it('a range at any past revision equals the model\'s state then (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.option(value, { nil: undefined })), { minLength: 1, maxLength: 30 }), (ops) => {
        const h = new Harness();
        const states: Map<string, string>[] = [new Map()];
        const cur = new Map<string, string>();
        for (const [k, v] of ops) {
          if (v === undefined) {
            h.del(k);
            cur.delete(k);
          } else {
            h.put(k, v);
            cur.set(k, v);
          }
          states.push(new Map(cur));
        }
        for (let rev = 1; rev <= ops.length; rev++) {
          if (rev > h.sm.revision) break;
          const got = h.sm.range({ key: '', prefix: true }, { revision: rev }).kvs.map((kv) => [kv.key, s(kv.value)]);
          // The state at revision `rev` is the state after the last write at or below it.
          expect(got).toEqual([...states[rev]!.entries()].sort(([x], [y]) => (x < y ? -1 : 1)));
        }
      }),
      { numRuns: 150 },
    );
  });
});
