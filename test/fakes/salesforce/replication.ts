/**
 * `GET /sobjects/{Object}/deleted/?start=&end=` and `/updated/?start=&end=`: the replication resources.
 * Deleted rows are those flagged IsDeleted (still in the recycle bin), dated by their SystemModstamp.
 * Deviation (kept for testability): the real API rounds the window down to whole minutes, so a deletion made
 * in the current minute is reported only after that minute ends; the fake uses second precision.
 */
import { type FakeResponse, apiError, ok } from "./http";
import { DAY_MS, formatDateTime, type SfRecord } from "./records";
import type { ObjectDef } from "./schema";
import { type Tenant, tenantNow } from "./tenants";

/** The recycle bin keeps deleted rows for 15 days; that is how far back deletions stay reportable. */
const RECYCLE_BIN_DAYS = 15;
/** (verify) The documented bound on how old `start` may be; older starts are rejected. */
const MAX_START_AGE_DAYS = 30;

type Window = { start: number; end: number; now: number } | FakeResponse;

function replicationWindow(tenant: Tenant, params: URLSearchParams): Window {
  const now = tenantNow(tenant);
  const bounds: Record<string, number> = {};
  for (const name of ["start", "end"]) {
    const raw = params.get(name);
    if (raw === null || raw === "") return apiError(400, "MISSING_ARGUMENT", `Missing required parameter: ${name}`);
    const value = Date.parse(raw);
    if (Number.isNaN(value)) return apiError(400, "INVALID_REPLICATION_DATE", `${name}: unable to parse '${raw}' as a dateTime`);
    bounds[name] = value;
  }
  const start = bounds.start ?? 0;
  const end = bounds.end ?? 0;
  if (end < start) return apiError(400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate");
  if (start < now - MAX_START_AGE_DAYS * DAY_MS) {
    return apiError(400, "INVALID_REPLICATION_DATE", `startDate cannot be more than ${MAX_START_AGE_DAYS} days ago`);
  }
  return { start, end, now };
}

function replicable(def: ObjectDef): FakeResponse | undefined {
  return def.replicateable ? undefined : apiError(400, "INVALID_TYPE", `entity type ${def.name} does not support replication`);
}

/** The object's records whose SystemModstamp lies in the request's window (up to now), or why there are none. */
function changedInWindow(tenant: Tenant, def: ObjectDef, params: URLSearchParams): FakeResponse | { now: number; covered: number; records: SfRecord[] } {
  const refusal = replicable(def);
  if (refusal) return refusal;
  const window = replicationWindow(tenant, params);
  if ("status" in window) return window;
  const covered = Math.min(window.end, window.now);
  const records = (tenant.dataset.stores.get(def.name)?.records ?? []).filter(
    (r) => typeof r.SystemModstamp === "number" && r.SystemModstamp >= window.start && r.SystemModstamp <= covered,
  );
  return { now: window.now, covered, records };
}

export function getDeleted(tenant: Tenant, def: ObjectDef, params: URLSearchParams): FakeResponse {
  const changed = changedInWindow(tenant, def, params);
  if ("status" in changed) return changed;
  const deletedRecords = changed.records
    .filter((r) => r.IsDeleted === true)
    .map((r) => ({ id: String(r.Id), deletedDate: formatDateTime(Number(r.SystemModstamp)) }));
  return ok({
    deletedRecords,
    earliestDateAvailable: formatDateTime(changed.now - RECYCLE_BIN_DAYS * DAY_MS),
    latestDateCovered: formatDateTime(changed.covered),
  });
}

export function getUpdated(tenant: Tenant, def: ObjectDef, params: URLSearchParams): FakeResponse {
  const changed = changedInWindow(tenant, def, params);
  if ("status" in changed) return changed;
  const ids = changed.records.filter((r) => r.IsDeleted !== true).map((r) => String(r.Id));
  return ok({ ids, latestDateCovered: formatDateTime(changed.covered) });
}
