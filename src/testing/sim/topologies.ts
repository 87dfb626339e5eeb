/**
 * Named network topologies (partitions) applied to a {@link PacketFabric} by
 * cutting directed links. Each function only adds cuts; call `fabric.heal()`
 * first to get the topology alone. The names follow Jepsen's nemeses, plus
 * the partial mesh of Cloudflare's November 2020 outage.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import type { Prng } from '../../util/prng.js';

/** The part of a fabric a topology needs. `PacketFabric` has it. */
export interface CuttableFabric {
  /** Cut the directed link from → to. */
  cut(from: string, to: string): void;
}

/** What a topology did, for traces and reports. */
export interface TopologyResult {
  /** The topology's name, e.g. `ring-of-majorities`. */
  name: string;
  /** A one-line description with the node ids, e.g. `isolate n3`. */
  description: string;
  /** The directed links cut, as [from, to]. */
  cuts: [string, string][];
}

/** Cut every directed link between distinct ids for which `connected` is false. */
export function connectOnly(fabric: CuttableFabric, ids: readonly string[], connected: (a: string, b: string) => boolean, name: string, description: string): TopologyResult {
  const cuts: [string, string][] = [];
  for (const a of ids) {
    for (const b of ids) {
      if (a === b || connected(a, b)) continue;
      fabric.cut(a, b);
      cuts.push([a, b]);
    }
  }
  return { name, description, cuts };
}

function splitBy(fabric: CuttableFabric, ids: readonly string[], side: readonly string[], name: string, description: string): TopologyResult {
  const inSide = new Set(side);
  return connectOnly(fabric, ids, (a, b) => inSide.has(a) === inSide.has(b), name, description);
}

function requireMember(ids: readonly string[], id: string, what: string): void {
  if (!ids.includes(id)) throw new InvalidInputError(`${what}: expected one of ${JSON.stringify(ids)}, got ${JSON.stringify(id)}`);
}

/** Cut `victim` (default: the first id) off from every other node, both ways. */
export function isolateOne(fabric: CuttableFabric, ids: readonly string[], victim: string = ids[0]!): TopologyResult {
  requireMember(ids, victim, 'isolateOne victim');
  return splitBy(fabric, ids, [victim], 'isolate-one', `isolate ${victim}`);
}

/**
 * Split into a minority and a majority, both ways. The minority defaults to
 * the first ⌊(n−1)/2⌋ ids (the largest group that is still a minority).
 */
export function majorityMinority(fabric: CuttableFabric, ids: readonly string[], minority: readonly string[] = ids.slice(0, Math.floor((ids.length - 1) / 2))): TopologyResult {
  for (const m of minority) requireMember(ids, m, 'majorityMinority member');
  if (minority.length * 2 >= ids.length) throw new InvalidInputError(`majorityMinority: expected fewer than half of ${ids.length} nodes in the minority, got ${minority.length}`);
  const majority = ids.filter((i) => !minority.includes(i));
  return splitBy(fabric, ids, minority, 'majority-minority', `minority [${minority.join(' ')}] | majority [${majority.join(' ')}]`);
}

/**
 * Every node sees a majority (itself and its nearest neighbours around a ring
 * in `ids` order), but no two nodes see the same majority. With 5 nodes each
 * one talks to its two ring neighbours only.
 */
export function ringOfMajorities(fabric: CuttableFabric, ids: readonly string[]): TopologyResult {
  const n = ids.length;
  const radius = Math.ceil(Math.floor(n / 2) / 2);
  const pos = new Map(ids.map((id, i) => [id, i]));
  const ringDistance = (a: string, b: string): number => {
    const d = Math.abs(pos.get(a)! - pos.get(b)!);
    return Math.min(d, n - d);
  };
  return connectOnly(fabric, ids, (a, b) => ringDistance(a, b) <= radius, 'ring-of-majorities', `ring [${ids.join(' ')}] radius ${radius}`);
}

/**
 * Two sides that cannot talk, joined by one bridge node that talks to both
 * (default: the middle id). With an odd count each side plus the bridge is a majority.
 */
export function bridge(fabric: CuttableFabric, ids: readonly string[], bridgeNode: string = ids[Math.floor(ids.length / 2)]!): TopologyResult {
  requireMember(ids, bridgeNode, 'bridge node');
  const rest = ids.filter((i) => i !== bridgeNode);
  const left = new Set(rest.slice(0, Math.floor(rest.length / 2)));
  const right = rest.filter((i) => !left.has(i));
  const crosses = (a: string, b: string): boolean => a !== bridgeNode && b !== bridgeNode && left.has(a) !== left.has(b);
  return connectOnly(fabric, ids, (a, b) => !crosses(a, b), 'bridge', `[${[...left].join(' ')}] - ${bridgeNode} - [${right.join(' ')}]`);
}

/**
 * The partial mesh of Cloudflare's 2020 outage, on exactly five ids
 * (1 2 3 4 5 in order): 1, 2 and 3 fully connected; 4 talks only with 2; 5
 * only with 3. A leader at 4 or 5 keeps being challenged without PreVote and CheckQuorum.
 */
export function cloudflarePartialMesh(fabric: CuttableFabric, ids: readonly string[]): TopologyResult {
  if (ids.length !== 5) throw new InvalidInputError(`cloudflarePartialMesh: expected 5 node ids, got ${ids.length}`);
  const [n1, n2, n3, n4, n5] = ids as [string, string, string, string, string];
  const edges = new Set([`${n1}|${n2}`, `${n1}|${n3}`, `${n2}|${n3}`, `${n4}|${n2}`, `${n5}|${n3}`]);
  const linked = (a: string, b: string): boolean => edges.has(`${a}|${b}`) || edges.has(`${b}|${a}`);
  return connectOnly(fabric, ids, linked, 'partial-mesh', `mesh ${n1}-${n2}-${n3}, ${n4}<->${n2}, ${n5}<->${n3}`);
}

/**
 * An asymmetric cut around `victim`: with `direction` `in` it can send but
 * hears nothing (a leader whose heartbeats go out but whose acks never come
 * back); with `out` it hears everyone but reaches no one.
 */
export function oneWayIsolate(fabric: CuttableFabric, ids: readonly string[], victim: string = ids[0]!, direction: 'in' | 'out' = 'in'): TopologyResult {
  requireMember(ids, victim, 'oneWayIsolate victim');
  const blocked = (a: string, b: string): boolean => (direction === 'in' ? b === victim : a === victim);
  return connectOnly(fabric, ids, (a, b) => !blocked(a, b), 'one-way', `${victim} ${direction === 'in' ? 'deaf' : 'mute'}`);
}

/** The names {@link applyTopology} accepts. */
export const TOPOLOGY_NAMES = ['isolate-one', 'majority-minority', 'ring-of-majorities', 'bridge', 'partial-mesh', 'one-way'] as const;

/** One of {@link TOPOLOGY_NAMES}. */
export type TopologyName = (typeof TOPOLOGY_NAMES)[number];

/**
 * Apply a named topology to a random arrangement of `ids` (so any node may
 * be the victim, the bridge, …). `partial-mesh` needs exactly five ids; with
 * another count it falls back to `ring-of-majorities`.
 */
export function applyTopology(fabric: CuttableFabric, ids: readonly string[], name: TopologyName, rng: Prng): TopologyResult {
  const order = shuffle(ids, rng);
  switch (name) {
    case 'isolate-one': return isolateOne(fabric, order);
    case 'majority-minority': {
      const most = Math.floor((ids.length - 1) / 2);
      return most === 0 ? isolateOne(fabric, order) : majorityMinority(fabric, order, order.slice(0, 1 + rng.int(most)));
    }
    case 'ring-of-majorities': return ringOfMajorities(fabric, order);
    case 'bridge': return bridge(fabric, order);
    case 'partial-mesh': return order.length === 5 ? cloudflarePartialMesh(fabric, order) : ringOfMajorities(fabric, order);
    case 'one-way': return oneWayIsolate(fabric, order, order[0], rng.int(2) === 0 ? 'in' : 'out');
  }
}

/** A seeded Fisher–Yates shuffle (a copy). */
export function shuffle<T>(items: readonly T[], rng: Prng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
