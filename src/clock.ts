/**
 * The `Clock` adapter contract: drivers take time from a clock so tests can
 * run on virtual time. Cores never see a clock; they count ticks.
 * @module
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * A source of time and timers.
 *
 * Requirements for implementations:
 * - `now()` is monotonic (never decreases) and counts milliseconds.
 * - A callback set with `setTimeout(fn, ms)` runs once, no earlier than `now() + ms`,
 *   unless cleared first; callbacks due at the same time run in the order they were set.
 * - `clearTimeout` of a fired or unknown handle is a no-op.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer; no-op if it already fired. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The default clock: `performance.now()` and the host's timers. A running
 * node's tick timer keeps the process alive, as a listening server would,
 * until the node is stopped.
 *
 * @example
 * ```ts
 * const clock = realClock();
 * clock.setTimeout(() => console.log('tick'), 50);
 * ```
 */
export function realClock(): Clock {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown; clearImmediate?: (h: unknown) => void };
  return {
    now: () => performance.now(),
    setTimeout: (fn, ms) => {
      // A zero delay means "after the current turn", not the host's 1 ms minimum.
      if (ms <= 0 && typeof g.setImmediate === 'function') return { immediate: g.setImmediate(fn) };
      return globalThis.setTimeout(fn, ms);
    },
    clearTimeout: (h) => {
      if (typeof h === 'object' && h !== null && 'immediate' in h) {
        g.clearImmediate?.((h as { immediate: unknown }).immediate);
        return;
      }
      globalThis.clearTimeout(h as Parameters<typeof globalThis.clearTimeout>[0]);
    },
  };
}
