/**
 * Seeded randomness per subsystem, and the swarm-testing fault plan: each
 * seed turns on a random subset of fault kinds at random intensities, so a
 * sweep explores combinations no hand-written scenario would (Groce et al.,
 * "Swarm Testing", 2012).
 * @module
 */
import { createPrng, type Prng } from '../../util/prng.js';
import { TOPOLOGY_NAMES, type TopologyName } from './topologies.js';

/**
 * Independent PRNG streams derived from one seed by label. Each stream depends
 * only on the seed and its label, never on how much another stream was used,
 * so adding a client or a node leaves the fault schedule and the network as they were.
 *
 * @example
 * ```ts
 * const streams = new SimStreams(1234);
 * const fabric = new PacketFabric(clock, streams.network);
 * const plan = pickFaultPlan(streams.faults);
 * ```
 */
export class SimStreams {
  private readonly root: Prng;
  private readonly cache = new Map<string, Prng>();

  constructor(
    /** The seed every stream derives from. */
    readonly seed: number | string,
  ) {
    this.root = createPrng(seed);
  }

  /** The stream for `label`; the same object on every call with that label. */
  stream(label: string): Prng {
    let s = this.cache.get(label);
    if (s === undefined) this.cache.set(label, (s = this.root.fork(label)));
    return s;
  }

  /** Network faults and delays. */
  get network(): Prng {
    return this.stream('network');
  }

  /** The fault schedule (what happens when, to whom). */
  get faults(): Prng {
    return this.stream('faults');
  }

  /** Client workload choices shared by all clients. */
  get clients(): Prng {
    return this.stream('clients');
  }

  /** One client's own choices. */
  client(id: string | number): Prng {
    return this.stream(`client:${id}`);
  }

  /** One node's disk (injected failures, crash outcomes). */
  disk(nodeId: string): Prng {
    return this.stream(`disk:${nodeId}`);
  }

  /** One node's timer jitter (election timeouts). */
  jitter(nodeId: string): Prng {
    return this.stream(`jitter:${nodeId}`);
  }
}

/** The parameters of each fault kind. Rates are probabilities; times are virtual milliseconds. */
export interface FaultParams {
  /** Drop packets on every link. */
  drop: {
    /** Probability a packet is dropped (up to 4× that, capped at 0.5, on about one link in five). */
    rate: number;
  };
  /** Deliver packets twice. */
  duplicate: {
    /** Probability a packet is delivered twice (up to 4× that, capped at 0.3, on about one link in five). */
    rate: number;
  };
  /** Spread delays so packets overtake each other. */
  reorder: {
    /** Longest one-way delay, ms (never below the upper bound of `delayMs`); about one link in five gets up to 4× that. */
    maxDelayMs: number;
  };
  /** Corrupt packets in flight (the codec must reject them). */
  corrupt: {
    /** Probability a delivered copy is corrupted (up to 4× that, capped at 0.1, on about one link in five). */
    rate: number;
  };
  /** Apply a topology now and then, healing it after a while. */
  partition: {
    /** Mean time between partitions, ms (uniform in [0, 2×]). */
    everyMs: number;
    /** Mean time a partition lasts before the network heals, ms (uniform in [0, 2×]). */
    forMs: number;
    /** Topologies to pick from (empty: all); about one partition in four isolates the leader instead. */
    topologies: TopologyName[];
  };
  /** Crash a node (losing what was not synced) and restart it later. */
  crash: {
    /** Mean time between crashes, ms (uniform in [0, 2×]). */
    everyMs: number;
    /** Mean time a crashed node stays down, ms (uniform in [0, 2×]). */
    downMs: number;
  };
  /** Pause a node (no ticks, no delivery) and resume it. */
  pause: {
    /** Mean time between pauses, ms (uniform in [0, 2×]). */
    everyMs: number;
    /** Mean time a pause lasts, ms (uniform in [0, 2×]). */
    forMs: number;
  };
  /** Wipe a crashed node's disk before its restart. */
  wipe: {
    /** Mean time between wipes, ms (uniform in [0, 2×]). */
    everyMs: number;
  };
  /** Skew or jump a node's clock. */
  'clock-skew': {
    /** Mean time between skews, ms (uniform in [0, 2×]). */
    everyMs: number;
    /** How far a node's clock gets ahead, ms; turned into ticks (at least 1, at most 3 election timeouts) run fast or at once. */
    maxSkewMs: number;
  };
  /** Fail disk writes and syncs with EIO. */
  'disk-eio': {
    /** Probability a write fails; only the sum with `syncRate` is used (per save on the idealized disk, half each for writes and syncs on a `SimDisk`). */
    writeRate: number;
    /** Probability a sync fails; only the sum with `writeRate` is used (see `writeRate`). */
    syncRate: number;
  };
  /** Give disks a small capacity, so writes fail with ENOSPC. */
  'disk-full': {
    /** Capacity of each node's disk, bytes (only `storage: 'file'` has a capacity). */
    capacityBytes: number;
  };
  /** Make some syncs slow. */
  'sync-spike': {
    /** Probability a save (idealized disk) or a sync (`SimDisk`) is slow. */
    rate: number;
    /** Extra latency of a slow one, ms. */
    spikeMs: number;
  };
}

/** A fault kind. */
export type FaultKind = keyof FaultParams;

/** One enabled fault kind with its intensity. */
export type FaultSpec = {
  [K in FaultKind]: {
    /** Which fault. */
    kind: K;
  } & FaultParams[K];
}[FaultKind];

/** The faults one seed runs with. */
export interface FaultPlan {
  /** Enabled kinds, in the order of {@link FAULT_KINDS}. */
  readonly faults: readonly FaultSpec[];
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));
/** Log-uniform in [lo, hi]: small intensities are as likely to be tried as large ones. */
const logUniform = (rng: Prng, lo: number, hi: number): number => lo * Math.pow(hi / lo, rng.next());
const rate = (rng: Prng, lo: number, hi: number): number => round(logUniform(rng, lo, hi), 4);
const ms = (rng: Prng, lo: number, hi: number): number => Math.round(logUniform(rng, lo, hi));

const PICKERS: { [K in FaultKind]: (rng: Prng) => FaultParams[K] } = {
  drop: (rng) => ({ rate: rate(rng, 0.005, 0.3) }),
  duplicate: (rng) => ({ rate: rate(rng, 0.005, 0.2) }),
  reorder: (rng) => ({ maxDelayMs: ms(rng, 5, 200) }),
  corrupt: (rng) => ({ rate: rate(rng, 0.001, 0.05) }),
  partition: (rng) => ({ everyMs: ms(rng, 300, 10_000), forMs: ms(rng, 100, 5_000), topologies: TOPOLOGY_NAMES.filter(() => rng.int(2) === 0) }),
  crash: (rng) => ({ everyMs: ms(rng, 500, 20_000), downMs: ms(rng, 10, 5_000) }),
  pause: (rng) => ({ everyMs: ms(rng, 500, 20_000), forMs: ms(rng, 50, 5_000) }),
  wipe: (rng) => ({ everyMs: ms(rng, 5_000, 60_000) }),
  'clock-skew': (rng) => ({ everyMs: ms(rng, 500, 20_000), maxSkewMs: ms(rng, 1, 10_000) }),
  'disk-eio': (rng) => ({ writeRate: rate(rng, 0.0001, 0.01), syncRate: rate(rng, 0.0001, 0.01) }),
  'disk-full': (rng) => ({ capacityBytes: ms(rng, 16 * 1024, 4 * 1024 * 1024) }),
  'sync-spike': (rng) => ({ rate: rate(rng, 0.001, 0.2), spikeMs: ms(rng, 10, 2_000) }),
};

/** Every fault kind, in plan order. */
export const FAULT_KINDS: readonly FaultKind[] = Object.freeze(Object.keys(PICKERS) as FaultKind[]);

/** Options of {@link pickFaultPlan}. */
export interface PickFaultOptions {
  /** The kinds to choose from. @default FAULT_KINDS */
  kinds?: readonly FaultKind[];
  /** Probability each kind is enabled. @default 0.5 */
  enableRate?: number;
}

/**
 * Pick a random subset of fault kinds (at least one) with random intensities.
 * Uses only `rng`, so give it the `faults` stream of {@link SimStreams}.
 */
export function pickFaultPlan(rng: Prng, options: PickFaultOptions = {}): FaultPlan {
  const kinds = options.kinds ?? FAULT_KINDS;
  const enableRate = options.enableRate ?? 0.5;
  const chosen = kinds.filter(() => rng.next() < enableRate);
  // Intensities are drawn for every kind, chosen or not, so the intensity of
  // one kind never depends on which other kinds were enabled.
  const all = FAULT_KINDS.map((kind) => ({ kind, ...PICKERS[kind](rng) }) as FaultSpec);
  if (chosen.length === 0 && kinds.length > 0) chosen.push(kinds[rng.int(kinds.length)]!);
  const faults = all.filter((f) => chosen.includes(f.kind));
  return { faults };
}

/** The spec of `kind` in `plan`, if enabled. */
export function findFault<K extends FaultKind>(plan: FaultPlan, kind: K): (FaultSpec & { kind: K }) | undefined {
  return plan.faults.find((f): f is FaultSpec & { kind: K } => f.kind === kind);
}

/**
 * The plan as one line, e.g.
 * `faults: drop(rate=0.12) partition(everyMs=2000 forMs=800 topologies=bridge,one-way)`.
 */
export function formatFaultPlan(plan: FaultPlan): string {
  if (plan.faults.length === 0) return 'faults: none';
  const parts = plan.faults.map(({ kind, ...params }) => {
    const fields = Object.entries(params).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') || '-' : String(v)}`);
    return `${kind}(${fields.join(' ')})`;
  });
  return `faults: ${parts.join(' ')}`;
}
