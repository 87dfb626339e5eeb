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
export type { SimObserver } from './testing/sim/raft-sim.js';
export { RAFT_SIM_DEFAULTS } from './testing/sim/options.js';
export type { RaftSimOptions } from './testing/sim/options.js';
export { runSim, passed, replayCommand } from './testing/sim/run.js';
export type { RaftSimResult, SimHooks } from './testing/sim/run.js';
export { sweep } from './testing/sim/sweep.js';
export type { SweepOptions, SweepSummary } from './testing/sim/sweep.js';
export { scenarioRun, SCENARIO_NAMES, SCENARIO_COVERAGE } from './testing/sim/scenarios.js';
export { SimClients } from './testing/sim/clients.js';
export type { AckedEntry } from './testing/sim/clients.js';
export { FaultDriver } from './testing/sim/fault-driver.js';
export { SimCounters, REQUIRED_COVERAGE, missingCoverage, addCounters } from './testing/sim/counters.js';
export { MemoryDisk } from './testing/sim/sim-node.js';
export type { NodeDisk, DurableLog, SimNode, MemoryDiskOptions, LogPosition } from './testing/sim/sim-node.js';
export { FileDisk } from './testing/sim/file-disk.js';
export { emptyKvState, applyCommand, encodeCommand, decodeCommand, encodeKvState, decodeKvState, foldHash } from './testing/sim/kv-sm.js';
export type { SimCommand, SimApplyResult, SimKvState } from './testing/sim/kv-sm.js';
export { InvariantChecker } from './testing/sim/invariants.js';
export type { Violation } from './testing/sim/invariants.js';
export { runStorageSuite, storageConformanceCases, makeEntries } from './testing/conformance/storage.js';
export type { StorageUnderTest, StorageFactory, ConformanceCase, TestFramework } from './testing/conformance/storage.js';
export { runTransportSuite, transportConformanceCases } from './testing/conformance/transport.js';
export type { TransportUnderTest, TransportFactory } from './testing/conformance/transport.js';
export * from './gossip/testing.js';
