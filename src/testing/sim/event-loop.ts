import type { Clock, TimerHandle } from '../../clock.js';
import { TimeHeap } from '../../util/heap.js';

interface ScheduledEvent {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A virtual-time event loop: a priority queue keyed by (time, sequence).
 * Nothing awaits real timers; `run*` pops events in order and advances `now`.
 * Events at the same time run in the order they were scheduled, so one seed
 * replays one history exactly.
 *
 * @example
 * ```ts
 * const loop = new EventLoop();
 * loop.schedule(10, () => console.log(loop.now)); // 10
 * loop.runFor(100);
 * ```
 */
export class EventLoop {
  private readonly queue = new TimeHeap<ScheduledEvent>();
  private seq = 0;
  private current = 0;
  private executed = 0;

  /** Virtual milliseconds since the loop started. */
  get now(): number {
    return this.current;
  }

  /** How many events have run. */
  get eventsRun(): number {
    return this.executed;
  }

  /** How many events are queued (including cancelled ones not yet popped). */
  get pending(): number {
    return this.queue.size;
  }

  /** Run `fn` after `delayMs` virtual milliseconds; returns a handle for {@link EventLoop.cancel}. */
  schedule(delayMs: number, fn: () => void): unknown {
    const ev: ScheduledEvent = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.queue.push(ev);
    return ev;
  }

  /** Virtual time of the next queued event (possibly a cancelled one), or undefined when the queue is empty. */
  pendingAt(): number | undefined {
    return this.queue.peek()?.at;
  }

  /** Move `now` forward to `t` without running anything (never backwards). */
  advanceTo(t: number): void {
    if (this.current < t) this.current = t;
  }

  /** Cancel a scheduled event; no-op if it already ran. */
  cancel(handle: unknown): void {
    if (handle !== null && typeof handle === 'object' && 'cancelled' in handle) (handle as ScheduledEvent).cancelled = true;
  }

  /** Run the next event, if any. Returns false when the queue is empty. */
  step(): boolean {
    for (;;) {
      const ev = this.queue.pop();
      if (ev === undefined) return false;
      if (ev.cancelled) continue;
      this.current = ev.at;
      this.executed++;
      ev.fn();
      return true;
    }
  }

  /** Run events until virtual time `t` (inclusive), then set `now` to `t`. */
  runUntil(t: number, maxEvents = Number.POSITIVE_INFINITY): void {
    let n = 0;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > t || n >= maxEvents) break;
      if (this.step()) n++;
    }
    if (this.current < t) this.current = t;
  }

  /** Run events for `ms` virtual milliseconds from now. */
  runFor(ms: number, maxEvents?: number): void {
    this.runUntil(this.current + ms, maxEvents);
  }

  /** Run until `pred()` is true or `timeoutMs` of virtual time passed; returns whether it became true. */
  runUntilTrue(pred: () => boolean, timeoutMs: number): boolean {
    const deadline = this.current + timeoutMs;
    while (!pred()) {
      const next = this.queue.peek();
      if (next === undefined || next.at > deadline) {
        this.current = Math.max(this.current, deadline);
        return pred();
      }
      this.step();
    }
    return true;
  }

  /**
   * Like {@link EventLoop.runUntil}, but lets pending Promise callbacks (an
   * async driver's storage writes, say) settle before each event, so async
   * code runs on virtual time too.
   */
  async runUntilAsync(t: number, maxEvents = Number.POSITIVE_INFINITY): Promise<void> {
    let n = 0;
    for (;;) {
      await settleMicrotasks();
      const next = this.queue.peek();
      if (next === undefined || next.at > t || n >= maxEvents) break;
      if (this.step()) n++;
    }
    if (this.current < t) this.current = t;
    await settleMicrotasks();
  }

  /** Async {@link EventLoop.runFor}. */
  runForAsync(ms: number, maxEvents?: number): Promise<void> {
    return this.runUntilAsync(this.current + ms, maxEvents);
  }

  /** Async {@link EventLoop.runUntilTrue}. */
  async runUntilTrueAsync(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = this.current + timeoutMs;
    for (;;) {
      await settleMicrotasks();
      if (pred()) return true;
      const next = this.queue.peek();
      if (next === undefined || next.at > deadline) {
        this.current = Math.max(this.current, deadline);
        await settleMicrotasks();
        return pred();
      }
      this.step();
    }
  }

  /** A {@link Clock} whose timers are events of this loop. */
  clock(): SimulatedClock {
    return new SimulatedClock(this);
  }
}

/** Resolve after every queued microtask (and those they queue) has run. */
export function settleMicrotasks(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => globalThis.setTimeout(r, 0));
}

/**
 * A {@link Clock} on an {@link EventLoop}'s virtual time, optionally skewed
 * (an offset added to `now()`), for clock-skew faults.
 */
export class SimulatedClock implements Clock {
  /** Milliseconds added to the loop's time by `now()`. */
  offset = 0;
  constructor(private readonly loop: EventLoop) {}

  now(): number {
    return this.loop.now + this.offset;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.loop.schedule(ms, fn);
  }

  clearTimeout(handle: TimerHandle): void {
    this.loop.cancel(handle);
  }
}
