/**
 * The linearizability checker of `quorumkit/testing`: Wing & Gong search with
 * Lowe's memoization, per key, over histories of client operations; a
 * key-value register model; a brute-force reference checker; and a
 * durability check for KV histories.
 * @module
 */
export type { Outcome, HistoryOp, StepResult, Model, CheckOptions, KeyResult, CheckResult } from './types.js';
export { checkLinearizability, formatCheckResult, defaultDescribe } from './checker.js';
export { kvModel, describeKvOp } from './kv-model.js';
export type { KvValue, KvOp, KvBase, KvRead, KvWrite, KvCas, KvDelete } from './kv-model.js';
export { bruteForceCheck } from './brute-force.js';
export { checkKvDurability } from './durability.js';
export type { DurabilityViolation } from './durability.js';
export { membershipModel } from './membership-model.js';
export type { MemberState, MemberOp, MemberBase, MemberOpOf, NoInput, WithInput, MemberRegister, MemberSetAvailability, MemberRead } from './membership-model.js';
