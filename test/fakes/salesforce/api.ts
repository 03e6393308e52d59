/** Routes of the versioned REST API (`/services/data/vXX.X/...`) for an admitted request. */
import { findObject } from "./catalog";
import { basicInfo, describeObject, globalDescribe } from "./describe";
import { type FakeResponse, apiError, methodNotAllowed, notFound, ok } from "./http";
import { normalizeId } from "./ids";
import { baseUrlOf } from "./oauth";
import { queryMore, runQuery } from "./query";
import { getDeleted, getUpdated } from "./replication";
import { renderRecord } from "./soql/values";
import type { Tenant } from "./tenants";

export interface ApiRequest {
  method: string;
  version: string;
  /** Path segments after `/services/data/vXX.X/`, empty segments removed (trailing slashes are accepted). */
  segments: string[];
  params: URLSearchParams;
  headers: Record<string, string>;
}

function resources(tenant: Tenant, version: string, host: string | undefined) {
  const base = `/services/data/v${version}`;
  return {
    identity: `${baseUrlOf(host)}/id/${tenant.orgId}/${tenant.dataset.integrationUserId}`,
    limits: `${base}/limits`,
    query: `${base}/query`,
    queryAll: `${base}/queryAll`,
    sobjects: `${base}/sobjects`,
  };
}

function limits(tenant: Tenant) {
  const max = tenant.faults.daily_limit;
  return {
    ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
    ConcurrentSyncReportRuns: { Max: 20, Remaining: 20 },
    DailyApiRequests: { Max: max, Remaining: Math.max(0, max - tenant.apiUsage) },
    DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
    DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
    DailyBulkV2QueryFileStorageMB: { Max: 976562, Remaining: 976562 },
    DailyBulkV2QueryJobs: { Max: 10000, Remaining: 10000 },
    DataStorageMB: { Max: 5, Remaining: 5 },
    FileStorageMB: { Max: 20, Remaining: 20 },
    HourlyPublishedPlatformEvents: { Max: 50000, Remaining: 50000 },
    SingleEmail: { Max: 5000, Remaining: 5000 },
  };
}

function sobjectResource(tenant: Tenant, request: ApiRequest, objectName: string, rest: string[]): FakeResponse {
  const def = findObject(objectName);
  if (!def) return notFound();
  const { version, params } = request;
  const [first, ...more] = rest;
  if (first === undefined) return ok(basicInfo(version, def));
  if (more.length > 0) return notFound();
  if (first === "describe") return ok(describeObject(version, def));
  if (first === "deleted") return getDeleted(tenant, def, params);
  if (first === "updated") return getUpdated(tenant, def, params);
  const id = normalizeId(first);
  const record = id ? tenant.dataset.stores.get(def.name)?.byId.get(id) : undefined;
  if (!record || record.IsDeleted === true) return notFound();
  const wanted = params.get("fields");
  if (wanted === null) return ok(renderRecord(version, def, record));
  const fields = [];
  for (const name of wanted.split(",").map((n) => n.trim()).filter(Boolean)) {
    const field = def.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!field) return apiError(400, "INVALID_FIELD", `No such column '${name}' on sobject of type ${def.name}`);
    fields.push(field);
  }
  return ok(renderRecord(version, def, record, fields));
}

export function routeApi(tenant: Tenant, request: ApiRequest): FakeResponse {
  const { method, version, segments, params, headers } = request;
  // The fake is read-only: every resource here is GET (HEAD is not modelled).
  if (method !== "GET") return methodNotAllowed(method, ["GET", "HEAD"]);
  const [resource, ...rest] = segments;
  switch (resource) {
    case undefined:
      return ok(resources(tenant, version, headers.host));
    case "limits":
      return rest.length === 0 ? ok(limits(tenant)) : notFound();
    case "sobjects": {
      const [objectName, ...objectRest] = rest;
      return objectName === undefined ? ok(globalDescribe(version)) : sobjectResource(tenant, request, objectName, objectRest);
    }
    case "query":
    case "queryAll": {
      if (rest.length === 0) return runQuery(tenant, version, params.get("q"), resource === "queryAll", headers);
      const [locator, ...extra] = rest;
      return locator !== undefined && extra.length === 0 ? queryMore(tenant, version, locator, headers) : notFound();
    }
    default:
      return notFound();
  }
}
