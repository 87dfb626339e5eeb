/**
 * The `StateMachine` adapter contract: what a user plugs into a
 * {@link RaftNode} to hold the replicated state.
 * @module
 */

/** Where an applied command sits in the log. */
export interface ApplyMeta {
  /** Log index of the command. */
  readonly index: number;
  /** Term of the leader that proposed it. */
  readonly term: number;
}

/**
 * A deterministic replicated state machine.
 *
 * Requirements for implementations:
 * - `apply` is deterministic: the same commands in the same order give the
 *   same state and results on every replica. No clocks, randomness or I/O
 *   that could differ between replicas.
 * - `apply` should be total: a command it cannot execute should produce an
 *   error *result*, not throw. If it throws, the node fails stop (an `error`
 *   event, then `stop()`), because replicas would otherwise diverge.
 * - `apply` may return a Promise; the next command is applied only after it
 *   settles, so order is kept.
 * - `snapshot` returns the whole state at the last applied index; `restore`
 *   replaces the whole state with a snapshot's.
 *
 * @example
 * ```ts
 * class Counter implements StateMachine<number> {
 *   n = 0;
 *   apply(cmd: Uint8Array) { this.n += cmd[0] ?? 0; return this.n; }
 *   snapshot() { return Uint8Array.of(this.n); }
 *   restore(s: Uint8Array) { this.n = s[0] ?? 0; }
 * }
 * ```
 */
export interface StateMachine<R = unknown> {
  /** Apply one committed command; the result settles the proposal on the proposing node. */
  apply(command: Uint8Array, meta: ApplyMeta): R | Promise<R>;
  /** Serialize the whole state. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replace the whole state with a snapshot's. */
  restore(snapshot: Uint8Array): void | Promise<void>;
}
