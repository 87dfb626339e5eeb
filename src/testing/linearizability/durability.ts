/**
 * A cheap durability check of a KV history, run beside the linearizability
 * search: it names the two failures users care most about (a lost
 * acknowledged write, a read of a value nobody wrote) in plain words, and it
 * needs no search, so it gives an answer even when the checker says `unknown`.
 * @module
 */
import type { KvOp, KvValue } from './kv-model.js';

/** One durability problem found by {@link checkKvDurability}. */
export interface DurabilityViolation {
  /**
   * `phantom-read`: a read returned a value no write could have produced.
   * `lost-write`: a read that started after an acknowledged write finished saw
   * a value that was replaced by that write (the write was lost).
   */
  kind: 'phantom-read' | 'lost-write';
  /** The read that exposed the problem. */
  read: KvOp;
  /** For `lost-write`: the acknowledged write that was lost. */
  write?: KvOp;
  /** A one-line explanation. */
  message: string;
}

/** A possible origin of a value: the initial state or an op that may have written it. */
interface Writer {
  op: KvOp | null;
  /** When the value was surely in place: the op's return (+∞ if unknown), -∞ for the initial state. */
  end: number;
  call: number;
}

const INITIAL: Writer = { op: null, end: Number.NEGATIVE_INFINITY, call: Number.NEGATIVE_INFINITY };

/** The value an op may have written, or `undefined` if it surely wrote nothing. */
function writtenValue(op: KvOp): KvValue | undefined {
  if (op.outcome === 'fail') return undefined;
  switch (op.kind) {
    case 'write': return op.input;
    case 'delete': return null;
    case 'cas': return op.outcome === 'info' || op.output === true ? op.input.value : undefined;
    default: return undefined;
  }
}

function endOf(op: KvOp): number {
  return op.outcome === 'ok' ? op.return! : Number.POSITIVE_INFINITY;
}

function valueKey(key: string, v: KvValue): string {
  return `${key}\u0000${v === null ? 'n' : typeof v === 'number' ? `#${v}` : `s${v}`}`;
}

/**
 * Check a KV history (ideally with unique written values and a final read of
 * every key after the cluster healed):
 * - no `ok` read returns a value that no write or CAS to that key (acknowledged
 *   or of unknown outcome) called before the read returned could have written;
 * - an `ok` read that starts after an acknowledged write `w` returned never sees a
 *   value whose every possible writer finished before `w` began (so `w`, or
 *   something after it, must have been lost).
 *
 * Sound without unique values (a value with several writers is accepted if any
 * one fits) but weaker. Linearizability implies both; this only explains failures better.
 */
export function checkKvDurability(history: readonly KvOp[]): DurabilityViolation[] {
  const writers = new Map<string, Writer[]>();
  const acked = new Map<string, KvOp[]>();
  for (const op of history) {
    const v = writtenValue(op);
    if (v === undefined) continue;
    const k = valueKey(op.key, v);
    const list = writers.get(k) ?? [];
    writers.set(k, list);
    list.push({ op, end: endOf(op), call: op.call });
    if (op.outcome !== 'ok') continue;
    const mine = acked.get(op.key) ?? [];
    acked.set(op.key, mine);
    mine.push(op);
  }
  const out: DurabilityViolation[] = [];
  for (const read of history) {
    if (read.kind !== 'read' || read.outcome !== 'ok') continue;
    const v = read.output ?? null;
    const candidates = [...(v === null ? [INITIAL] : []), ...(writers.get(valueKey(read.key, v)) ?? [])].filter((w) => w.call <= read.return!);
    if (candidates.length === 0) {
      out.push({ kind: 'phantom-read', read, message: `read of ${read.key} at [${read.call}, ${read.return}] returned ${JSON.stringify(v)}, which no write produced` });
      continue;
    }
    const lost = (acked.get(read.key) ?? []).find((w) => w.return! < read.call && candidates.every((c) => c.end < w.call));
    if (lost !== undefined) {
      out.push({
        kind: 'lost-write',
        read,
        write: lost,
        message: `${lost.kind} of ${lost.key} acknowledged at ${lost.return} was lost: a read at [${read.call}, ${read.return}] returned the older ${JSON.stringify(v)}`,
      });
    }
  }
  return out;
}
