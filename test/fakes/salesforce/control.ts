/**
 * The test-only control API under `/_fake/{tenant}/` (no vendor auth): reset and seed data, mutate records,
 * set faults, read or clear the request log, and read raw records to compute expectations.
 */
import { findObject } from "./catalog";
import { ControlError } from "./control-error";
import { DATA_OBJECTS } from "./dataset";
import { applyFaultUpdate } from "./faults";
import type { FakeResponse } from "./http";
import { mutate, type MutateRequest } from "./mutate";
import { createRng } from "../shared/prng";
import { renderField } from "./soql/values";
import { currentRefreshToken, type Tenant, TENANT_NAME, type TenantRegistry, tenantNow } from "./tenants";

function parseObject(body: string): Record<string, unknown> {
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ControlError("body must be JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ControlError("body must be a JSON object");
  return parsed as Record<string, unknown>;
}

function parseCounts(value: unknown): Record<string, number> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null) throw new ControlError("counts must be an object");
  const counts: Record<string, number> = {};
  for (const [name, n] of Object.entries(value)) {
    const def = findObject(name);
    if (!def || !DATA_OBJECTS.includes(def)) throw new ControlError(`counts: unknown object ${name}`);
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new ControlError(`counts.${name} must be a non-negative integer`);
    counts[def.name] = n;
  }
  if (counts.User === 0) throw new ControlError("counts.User must be at least 1 (tokens act as the first user)");
  return counts;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new ControlError(`${name} must be a string`);
  return value;
}

function faultState(tenant: Tenant) {
  return { ...tenant.faults, api_usage: tenant.apiUsage };
}

function rawRecords(tenant: Tenant, objectName: string) {
  const def = findObject(objectName);
  const store = def ? tenant.dataset.stores.get(def.name) : undefined;
  if (!def || !store) throw new ControlError(`unknown object ${objectName}`);
  return store.records.map((record) => Object.fromEntries(def.fields.map((f) => [f.name, renderField(record, f)])));
}

function handle(registry: TenantRegistry, method: string, name: string, action: string[], body: string): FakeResponse {
  const route = `${method} ${action.join("/")}`;
  if (route === "POST seed") {
    const input = parseObject(body);
    const tenant = registry.reset(name, parseCounts(input.counts), {
      id: optionalString(input.client_id, "client_id"),
      secret: optionalString(input.client_secret, "client_secret"),
    });
    return { status: 200, body: { tenant: name, org_id: tenant.orgId, refresh_token: currentRefreshToken(tenant), counts: tenant.counts } };
  }
  const tenant = registry.get(name);
  switch (route) {
    case "POST mutate":
      return { status: 200, body: mutate(tenant.dataset, tenant.mutationRng, tenantNow(tenant), parseObject(body) as MutateRequest) };
    case "GET faults":
      return { status: 200, body: faultState(tenant) };
    case "POST faults": {
      const actions = applyFaultUpdate(tenant.faults, parseObject(body));
      if (actions.reseed) tenant.faultRng = createRng(tenant.faults.seed);
      if (actions.api_usage !== undefined) tenant.apiUsage = actions.api_usage;
      if (actions.expire_tokens) for (const state of tenant.tokens.values()) state.expired = true;
      return { status: 200, body: faultState(tenant) };
    }
    case "GET requests":
      return { status: 200, body: { requests: tenant.log } };
    case "DELETE requests":
      tenant.log = [];
      return { status: 204 };
    default:
      break;
  }
  if (method === "GET" && action[0] === "records" && action[1] && action.length === 2) {
    return { status: 200, body: { records: rawRecords(tenant, action[1]) } };
  }
  return { status: 404, body: { error: `no control route ${method} /_fake/${name}/${action.join("/")}` } };
}

/** `segments` are the path parts after `/_fake/`. */
export function controlRequest(registry: TenantRegistry, method: string, segments: string[], body: string): FakeResponse {
  const [name, ...action] = segments;
  if (name === "requests" && action.length === 0 && method === "GET") return { status: 200, body: { requests: registry.unattributed } };
  if (!name || !TENANT_NAME.test(name)) return { status: 400, body: { error: "tenant names are 1-64 of [A-Za-z0-9_-]" } };
  try {
    return handle(registry, method, name, action, body);
  } catch (error) {
    if (error instanceof ControlError) return { status: 400, body: { error: error.message } };
    throw error;
  }
}
