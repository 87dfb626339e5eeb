/** Helpers for KV state machine tests: build commands and apply them at increasing indexes. */
import { encodeKvCommand, type CommandBody, type CommandHeader } from '../../src/codec/kv.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import type { KvStateMachineOptions } from '../../src/kv/options.js';
import type { KvResult } from '../../src/kv/types.js';

export const te = new TextEncoder();
export const td = new TextDecoder();
export const b = (s: string): Uint8Array => te.encode(s);
export const s = (u: Uint8Array | undefined): string | undefined => (u === undefined ? undefined : td.decode(u));

/** A state machine plus a log index counter. */
export class Harness {
  readonly sm: KvStateMachine;
  index = 0;
  ts = 1000;
  constructor(options: KvStateMachineOptions = {}) {
    this.sm = new KvStateMachine(options);
  }
  /** Apply a command at the next index. */
  run(body: CommandBody, h: Partial<CommandHeader> = {}): KvResult {
    const header: CommandHeader = { ts: this.ts, session: 0, seq: 0, ack: 0, ...h };
    return this.sm.apply(encodeKvCommand(header, body), { index: ++this.index, term: 1 });
  }
  put(key: string, value: string, lease = 0): KvResult {
    return this.run({ type: 'put', key, value: b(value), lease });
  }
  del(key: string, opts: { prefix?: boolean; end?: string } = {}): KvResult {
    return this.run({ type: 'delete', sel: { key, ...opts } });
  }
  val(key: string): string | undefined {
    return s(this.sm.get(key)?.value);
  }
}

/** Narrow a result to a kind, failing the test otherwise. */
export function as<K extends KvResult['kind']>(r: KvResult, kind: K): Extract<KvResult, { kind: K }> {
  if (r.kind !== kind) throw new Error(`expected a ${kind} result, got ${JSON.stringify(r)}`);
  return r as Extract<KvResult, { kind: K }>;
}
