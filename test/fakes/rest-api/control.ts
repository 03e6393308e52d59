import { parseAuthRule } from "./auth";
import { DEFAULT_ITEM_COUNT, isoSeconds, MAX_ITEM_COUNT } from "./dataset";
import { HttpError, jsonReply, rejectUnknownKeys, type Reply } from "./http";
import type { Tenant } from "./tenant";

/** `/t/{tenant}/_control/{action}`: the test's side door. No auth, never logged, never faulted. */
export type ControlAction = (tenant: Tenant, body: Record<string, unknown>) => Reply;

function count(body: Record<string, unknown>, fallback: number | undefined, max: number): number {
  const value = body.count ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new HttpError(400, `count must be an integer from 0 to ${max}`);
  }
  return value;
}

/** Resets the tenant: a fresh dataset of `count` items, the auth rule, no faults, an empty request log. */
const seed: ControlAction = (tenant, body) => {
  rejectUnknownKeys(body, ["count", "auth"], "seed");
  const items = count(body, DEFAULT_ITEM_COUNT, MAX_ITEM_COUNT);
  const auth = parseAuthRule(body.auth);
  tenant.seed(items, auth);
  return jsonReply(200, { count: items, auth: auth.type });
};

/** `{ids}` touches those items; `{count}` touches the lowest `count` ids; `{fields}` sets those fields on them. */
const touch: ControlAction = (tenant, body) => {
  rejectUnknownKeys(body, ["ids", "count", "fields"], "touch");
  if (body.fields !== undefined && (typeof body.fields !== "object" || body.fields === null || Array.isArray(body.fields))) {
    throw new HttpError(400, "fields must be an object of field names to values");
  }
  const { dataset } = tenant;
  let ids: number[];
  if (body.ids !== undefined) {
    if (body.count !== undefined) throw new HttpError(400, "give ids or count, not both");
    if (!Array.isArray(body.ids) || !body.ids.every((id) => Number.isInteger(id))) {
      throw new HttpError(400, "ids must be an array of integers");
    }
    ids = body.ids as number[];
    const unknown = ids.filter((id) => !dataset.has(id));
    if (unknown.length > 0) throw new HttpError(400, `unknown ids: ${unknown.join(", ")}`);
  } else {
    const wanted = count(body, undefined, dataset.size);
    ids = Array.from({ length: wanted }, (_, index) => index + 1).filter((id) => dataset.has(id));
  }
  const touched = dataset.touch(ids, body.fields as Record<string, unknown> | undefined);
  return jsonReply(200, { ids: touched.ids, updated_at: isoSeconds(touched.updatedMs) });
};

/** Appends `count` new items, all with one updated_at later than every existing item's. */
const insert: ControlAction = (tenant, body) => {
  rejectUnknownKeys(body, ["count"], "insert");
  const wanted = count(body, undefined, MAX_ITEM_COUNT - tenant.dataset.size);
  const inserted = tenant.dataset.insert(wanted);
  return jsonReply(200, {
    count: wanted,
    first_id: inserted.firstId,
    last_id: inserted.lastId,
    updated_at: isoSeconds(inserted.updatedMs),
  });
};

const faults: ControlAction = (tenant, body) => jsonReply(200, { faults: tenant.faults.configure(body) });

/** Method → action name → action. */
export const controlActions: Record<string, Record<string, ControlAction>> = {
  POST: { seed, touch, insert, faults },
  GET: { requests: (tenant) => jsonReply(200, tenant.requests()) },
  DELETE: { requests: (tenant) => jsonReply(200, { cleared: tenant.clearRequests() }) },
};
