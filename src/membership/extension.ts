/**
 * `membershipExtension`: the node table's rules, applied inside the KV
 * state machine so every check and write is atomic at one Raft index and
 * stamped with replicated time.
 * @module
 */
import type { KvExtension, KvExtensionContext, KvExtensionOutcome } from '../kv/extension.js';
import { decodeMembershipCommand, decodeNode, encodeNode, MEMBERSHIP_EXT, NODE_PREFIX, REMOVED_PREFIX, type MembershipCommand } from './codec.js';
import type { RegisterInput, StoredNode, UpdateInput } from './types.js';

const refuse = (message: string): KvExtensionOutcome => ({ ok: false, code: 'PRECONDITION_FAILED', message });

function read(ctx: KvExtensionContext, id: string): StoredNode | null {
  const kv = ctx.get(NODE_PREFIX + id);
  return kv === null ? null : decodeNode(kv.value);
}

function write(ctx: KvExtensionContext, n: StoredNode): KvExtensionOutcome {
  ctx.put(NODE_PREFIX + n.id, encodeNode(n));
  return { ok: true, value: n };
}

function register(ctx: KvExtensionContext, input: RegisterInput): KvExtensionOutcome {
  if (ctx.get(REMOVED_PREFIX + input.id) !== null) return refuse(`node id ${input.id} was removed and cannot be reused`);
  const cur = read(ctx, input.id);
  if (cur !== null) {
    // A known node re-joining: refresh what it reports about itself; role and availability stay.
    return write(ctx, {
      ...cur,
      hostname: input.hostname,
      address: input.address,
      version: input.version ?? cur.version,
      labels: input.labels ?? cur.labels,
      status: 'ready',
      updatedAt: ctx.time,
    });
  }
  return write(ctx, {
    id: input.id,
    hostname: input.hostname,
    address: input.address,
    role: input.role ?? 'worker',
    availability: 'active',
    status: 'ready',
    version: input.version ?? '',
    labels: input.labels ?? {},
    createdAt: ctx.time,
    updatedAt: ctx.time,
  });
}

function update(ctx: KvExtensionContext, id: string, patch: UpdateInput): KvExtensionOutcome {
  const cur = read(ctx, id);
  if (cur === null) return refuse(`node ${id} is not registered`);
  return write(ctx, { ...cur, ...patch, updatedAt: ctx.time });
}

function managerCount(ctx: KvExtensionContext): number {
  return ctx.range({ key: NODE_PREFIX, prefix: true }).filter((kv) => decodeNode(kv.value).role === 'manager').length;
}

function setRole(ctx: KvExtensionContext, id: string, role: StoredNode['role']): KvExtensionOutcome {
  const cur = read(ctx, id);
  if (cur === null) return refuse(`node ${id} is not registered`);
  if (cur.role === role) return { ok: true, value: cur };
  if (role === 'worker' && managerCount(ctx) <= 1) return refuse(`node ${id} is the last manager and cannot be demoted`);
  return write(ctx, { ...cur, role, updatedAt: ctx.time });
}

function remove(ctx: KvExtensionContext, id: string, force: boolean): KvExtensionOutcome {
  const cur = read(ctx, id);
  if (cur === null) return refuse(`node ${id} is not registered`);
  if (cur.role === 'manager') return refuse(`node ${id} is a manager; demote it before removing it`);
  if (cur.status === 'ready' && !force) return refuse(`node ${id} is ready; stop it first or remove it with force`);
  ctx.delete(NODE_PREFIX + id);
  ctx.put(REMOVED_PREFIX + id, encodeNode({ ...cur, updatedAt: ctx.time }));
  return { ok: true, value: null };
}

function run(ctx: KvExtensionContext, c: MembershipCommand): KvExtensionOutcome {
  switch (c.op) {
    case 'register': return register(ctx, c.input);
    case 'update': return update(ctx, c.id, c.patch);
    case 'setRole': return setRole(ctx, c.id, c.role);
    case 'remove': return remove(ctx, c.id, c.force);
  }
}

/**
 * The extension to give every replica's `KvStateMachine` so it can hold
 * the node table.
 *
 * @example
 * ```ts
 * const kv = new KvStateMachine({ extensions: [membershipExtension] });
 * ```
 */
export const membershipExtension: KvExtension = Object.freeze({
  name: MEMBERSHIP_EXT,
  apply(payload: unknown, ctx: KvExtensionContext): KvExtensionOutcome {
    let cmd: MembershipCommand;
    try {
      cmd = decodeMembershipCommand(payload);
    } catch (e) {
      return { ok: false, code: 'INVALID_INPUT', message: e instanceof Error ? e.message : 'malformed membership command' };
    }
    return run(ctx, cmd);
  },
});
