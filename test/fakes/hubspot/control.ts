/**
 * The test-only control API under /_fake/{tenant}/ (no vendor auth): reseed, mutate, set faults, read or
 * clear the request log, and list record ids as the oracle tests compare API output against.
 */
import { z } from "zod";
import { expireTokens, type TokenStore } from "./auth";
import { CRM_OBJECT_NAMES } from "./catalog";
import { createFaultState, faultConfigSchema } from "./faults";
import { iso } from "./gen-helpers";
import type { Reply } from "./http-util";
import {
  MutationError,
  archiveOwners,
  checkSelections,
  archiveRecords,
  createOwners,
  createRecords,
  updateOwners,
  updateRecords,
  type Selection,
} from "./mutations";
import { dataset, tick, type TenantRegistry } from "./tenants";

const objectName = z.enum(["owners", ...CRM_OBJECT_NAMES]);
const count = z.number().int().min(0).max(100_000);
const selection = z.union([count, z.array(z.union([z.string(), z.number()]).transform(String))]);

const seedSchema = z.strictObject({
  counts: z.partialRecord(objectName, count).optional(),
});

const mutateSchema = z.strictObject({
  object: objectName,
  update: selection.optional(),
  create: count.optional(),
  delete: selection.optional(),
});

/** Each mutate call is one instant, a minute after the previous write: everything it touches ties. */
const MUTATION_STEP_MS = 60_000;

export interface ControlState {
  tenants: TenantRegistry;
  tokens: TokenStore;
}

const fail = (status: number, error: string): Reply => ({ status, body: { error } });

function parse<T>(schema: z.ZodType<T>, raw: string): { ok: true; value: T } | { ok: false; reply: Reply } {
  let json: unknown;
  try {
    json = raw === "" ? {} : JSON.parse(raw);
  } catch {
    return { ok: false, reply: fail(400, "body is not JSON") };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reply: fail(400, z.prettifyError(parsed.error)) };
  return { ok: true, value: parsed.data };
}

function mutate(state: ControlState, tenantId: string, raw: string): Reply {
  const body = parse(mutateSchema, raw);
  if (!body.ok) return body.reply;
  const { object, update, create, delete: remove } = body.value;
  const tenant = state.tenants.get(tenantId);
  try {
    checkSelections(tenant, object, [update, remove].filter((selection) => selection !== undefined));
  } catch (error) {
    if (error instanceof MutationError) return fail(400, error.message);
    throw error;
  }
  const at = tick(tenant, MUTATION_STEP_MS);
  const done = (updated: number[], created: number[], deleted: number[]): Reply => ({
    status: 200,
    body: { object, at: iso(at), updated: updated.map(String), created: created.map(String), deleted: deleted.map(String) },
  });
  if (object === "owners") {
    const updated = update === undefined ? [] : updateOwners(tenant, update, at);
    const created = create === undefined ? [] : createOwners(tenant, create, at);
    const deleted = remove === undefined ? [] : archiveOwners(tenant, exclude(remove, updated), at);
    return done(updated, created, deleted);
  }
  const recordIds = (records: readonly { id: number }[]) => records.map((record) => record.id);
  const updated = update === undefined ? [] : recordIds(updateRecords(tenant, object, update, at));
  const created = create === undefined ? [] : recordIds(createRecords(tenant, object, create, at));
  const untouched = remove === undefined ? undefined : exclude(remove, [...updated, ...created]);
  const deleted = untouched === undefined ? [] : recordIds(archiveRecords(tenant, object, untouched, at));
  return done(updated, created, deleted);
}

/**
 * A numeric delete picks among records this call has not just updated or created, so the three id lists
 * of one mutate call never overlap (explicit ids are taken as given).
 */
function exclude(selection: Selection, touched: readonly number[]): Selection {
  return typeof selection === "number" ? { count: selection, exclude: new Set(touched) } : selection;
}

function records(state: ControlState, tenantId: string, object: string | undefined): Reply {
  const parsed = objectName.safeParse(object);
  if (!parsed.success) return fail(404, `unknown object ${object}`);
  const data = dataset(state.tenants.get(tenantId));
  if (parsed.data === "owners") {
    return {
      status: 200,
      body: {
        object: "owners",
        live: data.owners.filter((o) => !o.archived).map((o) => ({ id: String(o.id), updatedAt: iso(o.updatedAt) })),
        archived: data.owners.filter((o) => o.archived).map((o) => ({ id: String(o.id), updatedAt: iso(o.updatedAt) })),
      },
    };
  }
  const table = data.objects[parsed.data].records;
  return {
    status: 200,
    body: {
      object: parsed.data,
      live: table.filter((r) => r.archivedAt === null).map((r) => ({ id: String(r.id), updatedAt: iso(r.updatedAt) })),
      archived: table
        .filter((r) => r.archivedAt !== null)
        .map((r) => ({ id: String(r.id), archivedAt: iso(r.archivedAt ?? r.updatedAt) })),
    },
  };
}

export function control(state: ControlState, method: string, pathname: string, raw: string, now: number): Reply {
  const [, , tenantSegment, action, extra, ...more] = pathname.split("/");
  const tenantId = decodeURIComponent(tenantSegment ?? "");
  if (tenantId === "" || action === undefined || more.length > 0) return fail(404, "unknown control route");
  const route = `${method} ${action}`;
  if (route === "POST seed" && extra === undefined) {
    const body = parse(seedSchema, raw);
    if (!body.ok) return body.reply;
    const tenant = state.tenants.reset(tenantId, body.value.counts);
    return { status: 200, body: { tenant: tenantId, counts: tenant.counts } };
  }
  if (route === "POST mutate" && extra === undefined) return mutate(state, tenantId, raw);
  if (route === "POST faults" && extra === undefined) {
    const body = parse(faultConfigSchema, raw);
    if (!body.ok) return body.reply;
    const tenant = state.tenants.get(tenantId);
    tenant.faults = createFaultState(tenantId, body.value);
    if (body.value.expire_tokens) expireTokens(state.tokens, tenantId, now);
    return { status: 200, body: { faults: body.value } };
  }
  if (route === "GET requests" && extra === undefined) {
    return { status: 200, body: { requests: state.tenants.get(tenantId).log } };
  }
  if (route === "DELETE requests" && extra === undefined) {
    state.tenants.get(tenantId).log = [];
    return { status: 204 };
  }
  if (route === "GET records") return records(state, tenantId, extra);
  return fail(404, `unknown control route ${route}`);
}
