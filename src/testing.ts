/**
 * `quorumkit/testing`: the deterministic simulator's building blocks, so
 * users can test their own state machines under faults on virtual time.
 * @module quorumkit/testing
 */
export { EventLoop, SimulatedClock, settleMicrotasks } from './testing/sim/event-loop.js';
export { PacketFabric, corruptBytes } from './transport/fabric.js';
export type { LinkFaults, PacketHandler, Corrupter } from './transport/fabric.js';
export * from './testing/linearizability/index.js';
export { SimDisk, emptyDiskImage, DEFAULT_DISK_FAULTS, SECTOR_SIZE, normalizePath } from './testing/sim/disk.js';
export type { DiskImage, SimDiskFaults, SimDiskOptions, DiskFaultOp, CrashMode } from './testing/sim/disk.js';
export * from './testing/sim/topologies.js';
export { SimStreams, pickFaultPlan, findFault, formatFaultPlan, FAULT_KINDS } from './testing/sim/faults.js';
export type { FaultParams, FaultKind, FaultSpec, FaultPlan, PickFaultOptions } from './testing/sim/faults.js';
export * from './testing/sim/trace.js';
export { RaftSim } from './testing/sim/raft-sim.js';
export type { RaftSimOptions, RaftSimResult } from './testing/sim/raft-sim.js';
export { InvariantChecker } from './testing/sim/invariants.js';
export type { Violation } from './testing/sim/invariants.js';
export { runStorageSuite, storageConformanceCases, makeEntries } from './testing/conformance/storage.js';
export type { StorageUnderTest, StorageFactory, ConformanceCase, TestFramework } from './testing/conformance/storage.js';
