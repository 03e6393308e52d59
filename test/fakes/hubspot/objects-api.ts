/**
 * /crm/v3/objects/{type}[/{id}|/search] (research §2 "Streams", "Envelope & pagination"): keyset-paged lists
 * in id order with `after` = the next id, `archived=true` for deleted records, single reads, search, and
 * the basic writes (create, update, archive) so clients can change data the way they would in HubSpot.
 */
import { findProperty, resolveObjectType, type CrmObjectDef, type CrmObjectName } from "./catalog";
import {
  data,
  flag,
  jsonBody,
  listAfter,
  listLimit,
  methodNotAllowed,
  nextLink,
  requireScopes,
  type RouteContext,
} from "./context";
import { hubspotError, notFound, validationError } from "./errors";
import { ok, type Reply } from "./http-util";
import { archiveRecords } from "./mutations";
import { renderRecord, selectPropertyNames, splitList } from "./record-view";
import { addRecord, type CrmRecord } from "./records";
import { search } from "./search";
import { tick } from "./tenants";

const LIST_DEFAULT = 10;
const LIST_MAX = 100;
/** API writes advance the tenant clock by a second each, so each is its own modification instant. */
const WRITE_STEP_MS = 1000;

function requestedProperties(ctx: RouteContext): string[] | null {
  const values = ctx.query.getAll("properties");
  return values.length === 0 ? null : splitList(values);
}

function requestedAssociations(ctx: RouteContext): CrmObjectName[] {
  return splitList(ctx.query.getAll("associations"))
    .map((name) => resolveObjectType(name)?.name)
    .filter((name): name is CrmObjectName => name !== undefined);
}

function list(ctx: RouteContext, def: CrmObjectDef): Reply {
  const limit = listLimit(ctx, LIST_DEFAULT, LIST_MAX);
  if (typeof limit !== "number") return limit;
  const after = listAfter(ctx);
  if (typeof after !== "number") return after;
  const archived = flag(ctx, "archived");
  const store = data(ctx);
  const candidates = store.objects[def.name].records.filter(
    (record) => (record.archivedAt !== null) === archived && record.id >= after,
  );
  const page = candidates.slice(0, limit);
  const names = selectPropertyNames(def, requestedProperties(ctx));
  const associations = requestedAssociations(ctx);
  const last = page[page.length - 1];
  const nextAfter = last && candidates.length > page.length ? String(last.id + 1) : null;
  return ok({
    results: page.map((record) => renderRecord(store, def, record, names, associations)),
    ...(nextAfter ? { paging: { next: { after: nextAfter, link: nextLink(ctx, nextAfter) } } } : {}),
  });
}

/** `idProperty` lets a unique property (a contact's email) stand in for the id, as HubSpot allows. */
function findRecord(ctx: RouteContext, def: CrmObjectDef, idSegment: string): CrmRecord | undefined {
  const table = data(ctx).objects[def.name];
  const idProperty = ctx.query.get("idProperty");
  if (idProperty && idProperty !== "hs_object_id") {
    const wanted = idSegment.toLowerCase();
    return table.records.find((record) => record.properties[idProperty]?.toLowerCase() === wanted);
  }
  return /^\d+$/.test(idSegment) ? table.byId.get(Number(idSegment)) : undefined;
}

function getOne(ctx: RouteContext, def: CrmObjectDef, idSegment: string): Reply {
  const record = findRecord(ctx, def, idSegment);
  if (!record || (record.archivedAt !== null) !== flag(ctx, "archived")) return notFound();
  const names = selectPropertyNames(def, requestedProperties(ctx));
  return ok(renderRecord(data(ctx), def, record, names, requestedAssociations(ctx)));
}

interface PropertyProblem {
  isValid: false;
  message: string;
  error: string;
  name: string;
}

/** Write payloads: every name must exist and be writable, enumeration values must be options. */
function writableValues(
  def: CrmObjectDef,
  input: unknown,
): { ok: true; values: Record<string, string> } | { ok: false; reply: Reply } {
  const properties = typeof input === "object" && input !== null && "properties" in input ? input.properties : undefined;
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) {
    return { ok: false, reply: validationError("Invalid input JSON: properties must be an object") };
  }
  const values: Record<string, string> = {};
  const problems: PropertyProblem[] = [];
  for (const [name, raw] of Object.entries(properties as Record<string, unknown>)) {
    const property = findProperty(def, name);
    const value = raw === null ? "" : String(raw);
    if (!property) {
      problems.push({ isValid: false, message: `Property "${name}" does not exist`, error: "PROPERTY_DOESNT_EXIST", name });
    } else if (property.readOnlyValue) {
      problems.push({ isValid: false, message: `"${name}" is a read only property`, error: "READ_ONLY_VALUE", name });
    } else if (property.options.length > 0 && value !== "" && !property.options.some((o) => o.value === value)) {
      const message = `${value} was not one of the allowed options`;
      problems.push({ isValid: false, message, error: "INVALID_OPTION", name });
    } else {
      values[name] = value;
    }
  }
  if (problems.length === 0) return { ok: true, values };
  const reply = validationError(`Property values were not valid: ${JSON.stringify(problems)}`, {
    errors: problems.map((problem) => ({
      message: problem.message,
      code: problem.error,
      context: { propertyName: [problem.name] },
    })),
  });
  return { ok: false, reply };
}

function assign(record: CrmRecord, values: Record<string, string>) {
  for (const [name, value] of Object.entries(values)) {
    if (value === "") delete record.properties[name];
    else record.properties[name] = value;
  }
}

/** Contacts are unique by email: HubSpot answers 409 naming the existing record. */
function emailConflict(ctx: RouteContext, def: CrmObjectDef, values: Record<string, string>, self?: number) {
  const email = values.email?.toLowerCase();
  if (def.name !== "contacts" || !email) return null;
  const existing = data(ctx).objects.contacts.records.find(
    (record) => record.archivedAt === null && record.id !== self && record.properties.email?.toLowerCase() === email,
  );
  return existing ? hubspotError(409, `Contact already exists. Existing ID: ${existing.id}`, "CONFLICT") : null;
}

function create(ctx: RouteContext, def: CrmObjectDef): Reply {
  const body = jsonBody(ctx);
  if (!body.ok) return body.reply;
  const written = writableValues(def, body.value);
  if (!written.ok) return written.reply;
  const fields = written.values;
  const conflict = emailConflict(ctx, def, fields);
  if (conflict) return conflict;
  const at = tick(ctx.tenant, WRITE_STEP_MS);
  const table = data(ctx).objects[def.name];
  const record: CrmRecord = {
    id: table.nextId,
    createdAt: at,
    updatedAt: at,
    archivedAt: null,
    properties: {},
    associations: {},
  };
  assign(record, fields);
  addRecord(table, record);
  return ok(renderRecord(data(ctx), def, record, selectPropertyNames(def, Object.keys(fields))), 201);
}

function update(ctx: RouteContext, def: CrmObjectDef, idSegment: string): Reply {
  const record = findRecord(ctx, def, idSegment);
  if (!record || record.archivedAt !== null) return notFound();
  const body = jsonBody(ctx);
  if (!body.ok) return body.reply;
  const written = writableValues(def, body.value);
  if (!written.ok) return written.reply;
  const fields = written.values;
  const conflict = emailConflict(ctx, def, fields, record.id);
  if (conflict) return conflict;
  assign(record, fields);
  record.updatedAt = tick(ctx.tenant, WRITE_STEP_MS);
  return ok(renderRecord(data(ctx), def, record, selectPropertyNames(def, Object.keys(fields))));
}

/** Archiving an already archived or unknown id is still a 204 in HubSpot (verify). */
function archive(ctx: RouteContext, def: CrmObjectDef, idSegment: string): Reply {
  const record = findRecord(ctx, def, idSegment);
  if (record && record.archivedAt === null) {
    archiveRecords(ctx.tenant, def.name, [String(record.id)], tick(ctx.tenant, WRITE_STEP_MS));
  }
  return { status: 204 };
}

function searchRoute(ctx: RouteContext, def: CrmObjectDef): Reply {
  const body = jsonBody(ctx);
  if (!body.ok) return body.reply;
  return search(data(ctx), def, body.value ?? {});
}

export function objectsApi(ctx: RouteContext, rest: readonly string[]): Reply {
  const [typeSegment, second, ...more] = rest;
  if (typeSegment === undefined || more.length > 0) return notFound();
  const def = resolveObjectType(typeSegment);
  // Wording as HubSpot reports an unknown object type (verify).
  if (!def) return validationError(`Unable to infer object type from: ${typeSegment}`);
  const isSearch = second === "search" && ctx.method === "POST";
  const reads = ctx.method === "GET" || isSearch;
  const denied = requireScopes(ctx, [reads ? def.readScope : def.writeScope]);
  if (denied) return denied;
  if (isSearch) return searchRoute(ctx, def);
  if (second === undefined) {
    if (ctx.method === "GET") return list(ctx, def);
    if (ctx.method === "POST") return create(ctx, def);
    return methodNotAllowed();
  }
  if (ctx.method === "GET") return getOne(ctx, def, second);
  if (ctx.method === "PATCH") return update(ctx, def, second);
  if (ctx.method === "DELETE") return archive(ctx, def, second);
  return methodNotAllowed();
}
