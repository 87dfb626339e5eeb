/**
 * The multi-version key space: sorted keys, each with its history of
 * versions since the compacted revision, and the event log watches read.
 * Pure data; the state machine decides revisions.
 * @module
 */
import type { KeySelector, KeyValue, RangeResult, WatchEvent } from './types.js';

/** One entry of a key's history: a value, or a tombstone (`kv: null`) at revision `rev`. */
export interface Version {
  readonly rev: number;
  readonly kv: KeyValue | null;
}

/** Whether `k` is covered by the selector. */
export function selects(sel: KeySelector, k: string): boolean {
  if (sel.prefix === true) return k.startsWith(sel.key);
  if (sel.end === undefined) return k === sel.key;
  return k >= sel.key && k < sel.end;
}

/** First position in sorted `a` whose item is >= `k`. */
function lowerBound(a: readonly string[], k: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The last version at or below `rev` in a history sorted by revision. */
function versionAt(h: readonly Version[], rev: number): Version | undefined {
  for (let i = h.length - 1; i >= 0; i--) if (h[i]!.rev <= rev) return h[i];
  return undefined;
}

/**
 * A consistent read-only view of the key space as of one revision, for a
 * snapshot written while later writes keep applying: later versions are
 * above `revision` (readers skip them), and no history is pruned until
 * {@link KeyView.release} (compaction only moves the compacted revision
 * meanwhile).
 */
export interface KeyView {
  /** Every key with a history at `revision`, sorted. */
  readonly keys: readonly string[];
  readonly revision: number;
  readonly compactRevision: number;
  /** The versions of `key` at or below `revision`, oldest first; valid until the next write (read it at once). */
  versions(key: string): readonly Version[];
  /** Let pruning resume; idempotent. */
  release(): void;
}

export class KeySpace {
  /** Keys with a history, sorted; keys created since the last merge wait in `added`. */
  private keys: string[] = [];
  /** Keys created since the last sort, unsorted (a put never pays for ordering; the next scan merges them). */
  private added: string[] = [];
  /** Replaced, never cleared, on load: a {@link KeyView} keeps reading the map it captured. */
  private hist = new Map<string, Version[]>();
  /** Open views: while any is, compaction defers its pruning to {@link KeySpace.pruneDeferred}. */
  private pins = 0;
  private deferredPrune = new Set<string>();
  /**
   * The event log, as parallel columns (a put allocates no event object; a
   * {@link WatchEvent} is built when a watcher reads one). Slots below
   * `head` are compacted away, slots from `done` on belong to the write in
   * progress (put in key order by {@link KeySpace.commitEvents}).
   */
  private evRev: number[] = [];
  private evKey: string[] = [];
  private evKv: (KeyValue | null)[] = [];
  private evPrev: (KeyValue | null)[] = [];
  private head = 0;
  private done = 0;
  /** Absolute sequence number of slot `head`. */
  private eventsBase = 0;
  /** Revision of the last write. */
  revision = 0;
  /** Revisions at or below this one are compacted away. */
  compactRevision = 0;

  /** Number of keys that currently exist. */
  liveCount = 0;

  /** Current value of a key, or null. */
  get(key: string): KeyValue | null {
    const h = this.hist.get(key);
    return h === undefined ? null : h[h.length - 1]!.kv;
  }

  /** Value of a key at `rev` (which must not be compacted), or null. */
  getAt(key: string, rev: number): KeyValue | null {
    const h = this.hist.get(key);
    return h === undefined ? null : (versionAt(h, rev)?.kv ?? null);
  }

  /** Keys (existing now) covered by a selector, in order. */
  liveKeys(sel: KeySelector): string[] {
    const out: string[] = [];
    this.scan(sel, (k) => {
      if (this.get(k) !== null) out.push(k);
      return true;
    });
    return out;
  }

  /** Visit keys that have a history and are covered by `sel`, in order, while `fn` returns true. */
  private scan(sel: KeySelector, fn: (k: string) => boolean): void {
    if (sel.prefix !== true && sel.end === undefined) {
      if (this.hist.has(sel.key)) fn(sel.key);
      return;
    }
    const keys = this.sorted();
    for (let i = lowerBound(keys, sel.key); i < keys.length; i++) {
      const k = keys[i]!;
      if (!selects(sel, k)) break;
      if (!fn(k)) break;
    }
  }

  /** Every key with a history, sorted: merges keys created since the last call. */
  private sorted(): string[] {
    if (this.added.length === 0) return this.keys;
    const add = this.added.sort();
    this.added = [];
    const a = this.keys;
    const out: string[] = new Array<string>(a.length + add.length);
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < a.length && j < add.length) out[o++] = a[i]! < add[j]! ? a[i++]! : add[j++]!;
    while (i < a.length) out[o++] = a[i++]!;
    while (j < add.length) out[o++] = add[j++]!;
    this.keys = out;
    return out;
  }

  /** Range read at revision `rev` (compaction and bounds are the caller's to check). */
  range(sel: KeySelector, limit: number, rev: number): RangeResult {
    const kvs: KeyValue[] = [];
    let count = 0;
    this.scan(sel, (k) => {
      const kv = this.getAt(k, rev);
      if (kv !== null) {
        count++;
        if (limit === 0 || kvs.length < limit) kvs.push(kv);
      }
      return true;
    });
    return { kind: 'range', revision: rev, kvs, more: count > kvs.length, count };
  }

  /** Write a value at revision `rev`; returns the previous value. */
  put(key: string, value: Uint8Array, lease: number, rev: number): KeyValue | null {
    let h = this.hist.get(key);
    if (h === undefined) {
      h = [];
      this.hist.set(key, h);
      this.added.push(key);
    }
    const prev = h.length === 0 ? null : h[h.length - 1]!.kv;
    // The key string the history already holds: the command's copy then dies young instead of living on in history and log.
    if (prev !== null) key = prev.key;
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev === null ? rev : prev.createRevision,
      modRevision: rev,
      version: prev === null ? 1 : prev.version + 1,
      lease,
    };
    this.record(h, { rev, kv }, prev === null);
    this.logEvent(rev, key, kv, prev);
    return prev;
  }

  /** Delete a key at revision `rev`; returns its last value, or null if it did not exist. */
  delete(key: string, rev: number): KeyValue | null {
    const h = this.hist.get(key);
    const prev = h === undefined ? null : h[h.length - 1]!.kv;
    if (h === undefined || prev === null) return null;
    this.record(h, { rev, kv: null }, false);
    this.liveCount--;
    this.logEvent(rev, key, null, prev);
    return prev;
  }

  /** Append a version; one revision keeps only its last version of a key. */
  private record(h: Version[], v: Version, created: boolean): void {
    if (created) this.liveCount++;
    const last = h[h.length - 1];
    if (last !== undefined && last.rev === v.rev) h[h.length - 1] = v;
    else h.push(v);
    this.revision = Math.max(this.revision, v.rev);
  }

  private logEvent(rev: number, key: string, kv: KeyValue | null, prev: KeyValue | null): void {
    this.evRev.push(rev);
    this.evKey.push(key);
    this.evKv.push(kv);
    this.evPrev.push(prev);
  }

  /** Make the events of the write just done visible, ordered by key (one revision, one event per key). */
  commitEvents(): void {
    const from = this.done;
    const to = this.evKey.length;
    if (to - from > 1) this.sortSlots(from, to);
    this.done = to;
  }

  /** Stable sort of log slots [from, to) by key. */
  private sortSlots(from: number, to: number): void {
    const idx: number[] = [];
    for (let i = from; i < to; i++) idx.push(i);
    idx.sort((x, y) => (this.evKey[x]! < this.evKey[y]! ? -1 : this.evKey[x]! > this.evKey[y]! ? 1 : x - y));
    const cols = [this.evRev, this.evKey, this.evKv, this.evPrev] as unknown[][];
    for (const col of cols) {
      const copy = idx.map((i) => col[i]);
      for (let i = from; i < to; i++) col[i] = copy[i - from];
    }
  }

  /** Sequence number of the first event after position (`rev`, `key`) in (revision, key) order. */
  seqAfter(rev: number, key: string): number {
    let lo = this.head;
    let hi = this.done;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.evRev[mid]!;
      if (r < rev || (r === rev && this.evKey[mid]! <= key)) lo = mid + 1;
      else hi = mid;
    }
    return this.eventsBase + lo - this.head;
  }

  /** Forget history at or below `rev`, keeping each key's version as of `rev`. */
  compact(rev: number): void {
    if (rev <= this.compactRevision) return;
    this.compactRevision = rev;
    let end = this.head;
    while (end < this.done && this.evRev[end]! <= rev) end++;
    const touched = new Set<string>();
    for (let i = this.head; i < end; i++) touched.add(this.evKey[i]!);
    this.eventsBase += end - this.head;
    this.head = end;
    // Drop the dead prefix once it is at least half the log: each slot is moved at most once on average.
    if (this.head * 2 >= this.evKey.length) this.dropHead();
    if (this.pins > 0) {
      for (const k of touched) this.deferredPrune.add(k);
      return;
    }
    this.pruneKeys(touched, rev);
  }

  /** Prune the histories of `keys` as of `rev`, dropping keys left with nothing. */
  private pruneKeys(keys: Iterable<string>, rev: number): void {
    let removedKeys = false;
    for (const k of keys) removedKeys = this.pruneKey(k, rev) || removedKeys;
    if (removedKeys) this.keys = this.sorted().filter((k) => this.hist.has(k));
  }

  /**
   * A view of the state as of now that later writes do not change (see
   * {@link KeyView}); O(1) but for merging keys created since the last scan.
   */
  capture(): KeyView {
    this.pins++;
    const hist = this.hist;
    const revision = this.revision;
    let open = true;
    return {
      keys: this.sorted(),
      revision,
      compactRevision: this.compactRevision,
      versions: (key) => {
        const h = hist.get(key) ?? [];
        let n = h.length;
        while (n > 0 && h[n - 1]!.rev > revision) n--;
        return n === h.length ? h : h.slice(0, n);
      },
      release: () => {
        if (!open) return;
        open = false;
        if (--this.pins === 0) this.pruneDeferred();
      },
    };
  }

  /** Prune what compactions deferred while views were open. */
  private pruneDeferred(): void {
    if (this.deferredPrune.size === 0) return;
    const keys = [...this.deferredPrune].filter((k) => this.hist.has(k));
    this.deferredPrune.clear();
    this.pruneKeys(keys, this.compactRevision);
  }

  private dropHead(): void {
    const n = this.head;
    if (n === 0) return;
    this.evRev = this.evRev.slice(n);
    this.evKey = this.evKey.slice(n);
    this.evKv = this.evKv.slice(n);
    this.evPrev = this.evPrev.slice(n);
    this.head = 0;
    this.done -= n;
  }

  /** Prune one key's history; returns whether the key is gone entirely. */
  private pruneKey(k: string, rev: number): boolean {
    const h = this.hist.get(k)!;
    let base = -1;
    for (let i = 0; i < h.length; i++) if (h[i]!.rev <= rev) base = i;
    if (base < 0) return false;
    const drop = h[base]!.kv !== null ? base : base + 1;
    if (drop === h.length) {
      this.hist.delete(k);
      return true;
    }
    // In place: the history array stays the one in the map (no new array per touched key).
    if (drop === 1) h.shift();
    else if (drop > 1) h.splice(0, drop);
    return false;
  }

  /** Number of events kept. */
  get eventCount(): number {
    return this.done - this.head;
  }

  /** Absolute sequence number one past the last event. */
  get eventsEnd(): number {
    return this.eventsBase + this.done - this.head;
  }

  /** Revision of the oldest kept event, or null. */
  oldestEventRevision(): number | null {
    return this.head < this.done ? this.evRev[this.head]! : null;
  }

  /** Sequence number of the first event with revision >= `rev` (caller checks compaction). */
  seqOfRevision(rev: number): number {
    let lo = this.head;
    let hi = this.done;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.evRev[mid]! < rev) lo = mid + 1;
      else hi = mid;
    }
    return this.eventsBase + lo - this.head;
  }

  /** The event with absolute sequence `seq`, or undefined if it is compacted or not yet written. */
  eventAt(seq: number): WatchEvent | undefined {
    const i = this.slot(seq);
    if (i < 0) return undefined;
    const kv = this.evKv[i]!;
    return { type: kv === null ? 'delete' : 'put', revision: this.evRev[i]!, key: this.evKey[i]!, kv, prev: this.evPrev[i]! };
  }

  /** Revision of the event with absolute sequence `seq`, or undefined (as {@link KeySpace.eventAt}, without building the event). */
  eventRevision(seq: number): number | undefined {
    const i = this.slot(seq);
    return i < 0 ? undefined : this.evRev[i];
  }

  /** Key of the event with absolute sequence `seq`, or undefined. */
  eventKey(seq: number): string | undefined {
    const i = this.slot(seq);
    return i < 0 ? undefined : this.evKey[i];
  }

  /** Log slot of absolute sequence `seq`, or -1 if it is compacted or not committed. */
  private slot(seq: number): number {
    const i = seq - this.eventsBase + this.head;
    return i >= this.head && i < this.done && Number.isInteger(i) ? i : -1;
  }

  /** Sequence number of the first kept event. */
  get firstSeq(): number {
    return this.eventsBase;
  }

  /** Every key's history, in key order (for snapshots). */
  *histories(): IterableIterator<[string, readonly Version[]]> {
    for (const k of this.sorted()) yield [k, this.hist.get(k)!];
  }

  /** Rebuild from histories in key order (restore); the event log is derived from them. */
  load(entries: Iterable<[string, Version[]]>, revision: number, compactRevision: number): void {
    this.keys = [];
    this.added = [];
    this.hist = new Map();
    this.deferredPrune.clear();
    this.liveCount = 0;
    const events: { rev: number; key: string; kv: KeyValue | null; prev: KeyValue | null }[] = [];
    for (const [k, h] of entries) {
      this.keys.push(k);
      this.hist.set(k, h);
      if (h[h.length - 1]!.kv !== null) this.liveCount++;
      for (let i = 0; i < h.length; i++) {
        const v = h[i]!;
        if (v.rev <= compactRevision) continue;
        events.push({ rev: v.rev, key: k, kv: v.kv, prev: h[i - 1]?.kv ?? null });
      }
    }
    // Within a revision, events are ordered by key, as when they were written.
    events.sort((a, b) => a.rev - b.rev || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.evRev = events.map((e) => e.rev);
    this.evKey = events.map((e) => e.key);
    this.evKv = events.map((e) => e.kv);
    this.evPrev = events.map((e) => e.prev);
    this.head = 0;
    this.done = events.length;
    this.eventsBase = 0;
    this.revision = revision;
    this.compactRevision = compactRevision;
  }
}
