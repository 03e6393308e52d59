/**
 * The fake's control API for tests, under `/_fake/{tenant}/` (no vendor auth). See README.md for the contract.
 */
import { OBJECT_NAMES, isObjectName } from "./catalog";
import { TENANT_ID } from "./auth";
import { ControlError } from "./errors";
import { FaultPlan, parseFaultSettings } from "./faults";
import type { Json } from "./json";
import { mutate } from "./mutate";
import { deletedStub } from "./operations";
import type { Counts } from "./seed";
import type { SeedOptions, TenantRegistry } from "./tenants";

export interface ControlResponse {
  status: number;
  body: Json;
}

type Body = Record<string, unknown>;

function parseCounts(value: unknown): Counts | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) throw new ControlError("counts must map object names to numbers");
  const counts: Counts = {};
  for (const [name, count] of Object.entries(value)) {
    if (!isObjectName(name)) throw new ControlError(`unknown object ${name}; known: ${OBJECT_NAMES.join(", ")}`);
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 100_000) {
      throw new ControlError(`counts.${name} must be an integer between 0 and 100000`);
    }
    counts[name] = count;
  }
  return counts;
}

function account(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !/^acct_[A-Za-z0-9]+$/.test(value)) throw new ControlError("account must be an acct_… id");
  return value;
}

export function handleControl(
  registry: TenantRegistry,
  method: string,
  segments: string[],
  search: URLSearchParams,
  body: Body,
  requestId: string,
): ControlResponse {
  const [tenantId, action, argument] = segments;
  if (!tenantId || !TENANT_ID.test(tenantId)) throw new ControlError("the path must name a tenant: /_fake/{tenant}/…");
  const route = `${method} ${action ?? ""}`;
  if (route === "DELETE ") return { status: 200, body: { tenant: tenantId, dropped: registry.drop(tenantId) } };
  if (route === "POST seed") {
    const options: SeedOptions = {};
    const counts = parseCounts(body.counts);
    if (counts) options.counts = counts;
    const acct = account(body.account);
    if (acct) options.account = acct;
    if (body.now !== undefined) {
      if (typeof body.now !== "number" || !Number.isInteger(body.now)) throw new ControlError("now must be unix seconds");
      options.now = body.now;
    }
    const report = registry.seed(tenantId, options);
    const tenant = registry.get(tenantId);
    return {
      status: 200,
      body: {
        tenant: tenantId,
        account: acct ?? tenant.accountId,
        now: tenant.now(),
        counts: report.counts,
        deleted: report.deleted,
        events: report.events,
      },
    };
  }
  const tenant = registry.get(tenantId);
  switch (route) {
    case "GET account":
      return { status: 200, body: { tenant: tenant.id, account: tenant.accountId, now: tenant.now() } };
    case "POST mutate": {
      const dataset = tenant.dataset(account(body.account));
      return { status: 200, body: { ...mutate(dataset, body, requestId) } };
    }
    case "POST faults":
      tenant.faults = new FaultPlan(parseFaultSettings(body));
      return { status: 200, body: { faults: { ...tenant.faults.settings } } };
    case "GET faults":
      return { status: 200, body: { faults: { ...tenant.faults.settings }, served: { ...tenant.faults.served } } };
    case "POST clock": {
      const advance = body.advance_seconds;
      if (typeof advance !== "number" || !Number.isInteger(advance) || advance < 0) {
        throw new ControlError("advance_seconds must be a non-negative integer");
      }
      tenant.advanceClock(advance);
      return { status: 200, body: { now: tenant.now() } };
    }
    case "GET requests":
      return { status: 200, body: { data: tenant.log.map((entry) => ({ ...entry })) } };
    case "DELETE requests":
      tenant.log = [];
      return { status: 200, body: { data: [] } };
    case "GET objects": {
      if (!argument || (!isObjectName(argument) && argument !== "events")) throw new ControlError("GET objects/{object}");
      const dataset = tenant.dataset(account(search.get("account") ?? undefined));
      if (argument === "events") {
        return { status: 200, body: { object: "events", data: dataset.sortedEvents().map((event) => event.data) } };
      }
      const records = dataset.sorted(argument);
      return {
        status: 200,
        body: {
          object: argument,
          data: records.filter((record) => !record.deleted).map((record) => record.data),
          deleted: records.filter((record) => record.deleted).map(deletedStub),
        },
      };
    }
    default:
      return { status: 404, body: { error: `no control route ${method} /_fake/${segments.join("/")}` } };
  }
}
