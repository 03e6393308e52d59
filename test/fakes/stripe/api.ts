/**
 * The `/v1` read surface: list and retrieve for every catalogued object, `/v1/invoices/{id}/lines`,
 * `/v1/balance/history` (the older name of balance transactions) and `/v1/events`. Anything else is the API's own
 * "Unrecognized request URL" 404.
 */
import type { ObjectKind, ObjectName } from "./catalog";
import { isObjectName, kindOf, kindOfId } from "./catalog";
import type { Dataset, StoredEvent, StoredRecord } from "./dataset";
import { EVENT_RETENTION_SECONDS, compareNewestFirst } from "./dataset";
import { invalidRequest, resourceMissing, unrecognizedUrl } from "./errors";
import type { Json, JsonObject } from "./json";
import { PAGING_PARAMS, createdWindow, listEnvelope, pageOf, readPaging } from "./listing";
import { deletedStub } from "./operations";
import type { ParamObject } from "./params";
import { readBoolean, readRange, readString, readStringArray, rejectUnknown } from "./params";

const ALIASES: Record<string, ObjectName> = { "balance/history": "balance_transactions" };
/** "types: An array of up to 20 strings containing specific event names." — https://docs.stripe.com/api/events/list */
const MAX_EVENT_TYPES = 20;

export function handleApi(ds: Dataset, method: string, path: string, params: ParamObject): Json {
  if (method !== "GET") throw unrecognizedUrl(method, path);
  const segments = path.slice("/v1/".length).split("/").map(decodeURIComponent);
  const [first, second, third, fourth] = segments;
  if (first === "events") {
    if (second === undefined) return listEvents(ds, path, params);
    if (third === undefined && second !== "") return retrieveEvent(ds, second, params);
    throw unrecognizedUrl(method, path);
  }
  if (first === "invoices" && second && third === "lines" && fourth === undefined) {
    return listInvoiceLines(ds, second, path, params);
  }
  const aliasKey = `${first}/${second}`;
  const alias = ALIASES[aliasKey];
  if (alias) {
    if (third === undefined) return listObjects(ds, kindOf(alias), path, params);
    if (fourth === undefined && third !== "") return retrieveObject(ds, kindOf(alias), third, params);
    throw unrecognizedUrl(method, path);
  }
  if (first !== undefined && isObjectName(first)) {
    const kind = kindOf(first);
    if (second === undefined) return listObjects(ds, kind, path, params);
    if (third === undefined && second !== "") return retrieveObject(ds, kind, second, params);
  }
  throw unrecognizedUrl(method, path);
}

/** Inflates top-level id fields named in `expand[]`; nested paths (`a.b`) are accepted and not inflated. */
function expand(ds: Dataset, kind: ObjectKind, object: JsonObject, fields: readonly string[]): JsonObject {
  const wanted = fields.filter((field) => kind.expandable.includes(field));
  if (wanted.length === 0) return object;
  const out: JsonObject = { ...object };
  for (const field of wanted) {
    const id = out[field];
    if (typeof id !== "string") continue;
    const target = kindOfId(id);
    const record = target ? ds.get(target.name, id) : undefined;
    if (record) out[field] = record.deleted ? deletedStub(record) : record.data;
  }
  return out;
}

function listObjects(ds: Dataset, kind: ObjectKind, path: string, params: ParamObject): Json {
  rejectUnknown(params, new Set([...PAGING_PARAMS, "created", ...Object.keys(kind.filters)]));
  const paging = readPaging(params);
  const created = readRange(params, "created");
  const expansions = (readStringArray(params, "expand") ?? [])
    .filter((field) => field.startsWith("data."))
    .map((field) => field.slice("data.".length));
  const predicates = Object.entries(kind.filters).flatMap(([name, filter]) => filter(params, name) ?? []);
  const cursorId = paging.startingAfter ?? paging.endingBefore;
  let position: ((record: StoredRecord) => number) | null = null;
  if (cursorId !== undefined) {
    const cursor = ds.get(kind.name, cursorId);
    if (!cursor) {
      throw resourceMissing(kind.object, cursorId, paging.startingAfter !== undefined ? "starting_after" : "ending_before", 400);
    }
    position = (record) => compareNewestFirst(record.data, cursor.data);
  }
  const items = ds.sorted(kind.name);
  const page = pageOf(items, {
    paging,
    position,
    keep: (record) => !record.deleted && predicates.every((predicate) => predicate(record.data)),
    window: createdWindow(items, (record) => record.data.created as number, created),
  });
  return listEnvelope(
    path,
    page.data.map((record) => expand(ds, kind, record.data, expansions)),
    page.hasMore,
  );
}

function retrieveObject(ds: Dataset, kind: ObjectKind, id: string, params: ParamObject): Json {
  rejectUnknown(params, new Set(["expand"]));
  const record = ds.get(kind.name, id);
  if (!record) throw resourceMissing(kind.object, id, "id", 404);
  if (record.deleted) return deletedStub(record);
  return expand(ds, kind, record.data, readStringArray(params, "expand") ?? []);
}

/** Invoice lines are in invoice order (not newest first); cursors are line ids. */
function listInvoiceLines(ds: Dataset, invoiceId: string, path: string, params: ParamObject): Json {
  rejectUnknown(params, new Set(PAGING_PARAMS));
  const paging = readPaging(params);
  readStringArray(params, "expand");
  const record = ds.get("invoices", invoiceId);
  if (!record || record.deleted) throw resourceMissing("invoice", invoiceId, "id", 404);
  const lines = record.lines ?? [];
  const cursorId = paging.startingAfter ?? paging.endingBefore;
  let position: ((line: JsonObject) => number) | null = null;
  if (cursorId !== undefined) {
    const at = lines.findIndex((line) => line.id === cursorId);
    if (at < 0) {
      throw resourceMissing("line_item", cursorId, paging.startingAfter !== undefined ? "starting_after" : "ending_before", 400);
    }
    position = (line) => lines.indexOf(line) - at;
  }
  const page = pageOf(lines, { paging, position, keep: () => true });
  return listEnvelope(path, page.data, page.hasMore);
}

/** `type` accepts `*` as a wildcard ("customer.*", "*.created"). */
function typeMatcher(pattern: string): (type: string) => boolean {
  const regex = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return (type) => regex.test(type);
}

function retained(ds: Dataset, event: StoredEvent): boolean {
  return event.created >= ds.now() - EVENT_RETENTION_SECONDS;
}

function listEvents(ds: Dataset, path: string, params: ParamObject): Json {
  rejectUnknown(params, new Set([...PAGING_PARAMS, "created", "type", "types", "delivery_success"]));
  const paging = readPaging(params);
  const created = readRange(params, "created");
  readStringArray(params, "expand");
  const type = readString(params, "type");
  const types = readStringArray(params, "types");
  if (type !== undefined && types !== undefined) {
    // (verify) the reference documents both but not their combination; the fake refuses it like other exclusive pairs.
    throw invalidRequest("You may only specify one of these parameters: type, types.", { param: "types" });
  }
  if (types && types.length > MAX_EVENT_TYPES) {
    // (verify) the wording; the limit itself is documented.
    throw invalidRequest(`Invalid array: types must have at most ${MAX_EVENT_TYPES} elements`, { param: "types" });
  }
  const delivered = readBoolean(params, "delivery_success");
  const matches = type !== undefined ? typeMatcher(type) : types ? (t: string) => types.includes(t) : () => true;
  const cursorId = paging.startingAfter ?? paging.endingBefore;
  const all = ds.sortedEvents();
  let position: ((event: StoredEvent) => number) | null = null;
  if (cursorId !== undefined) {
    const cursor = all.find((event) => event.id === cursorId);
    if (!cursor) {
      throw resourceMissing("event", cursorId, paging.startingAfter !== undefined ? "starting_after" : "ending_before", 400);
    }
    position = (event) => compareNewestFirst(event.data, cursor.data);
  }
  const oldest = ds.now() - EVENT_RETENTION_SECONDS;
  const window = createdWindow(all, (event) => event.created, { ...created, gte: Math.max(created?.gte ?? oldest, oldest) });
  // The fake has no failing webhook endpoints: every event counts as delivered.
  const page = pageOf(all, {
    paging,
    position,
    keep: (event) => delivered !== false && matches(event.data.type as string),
    window,
  });
  return listEnvelope(path, page.data.map((event) => event.data), page.hasMore);
}

function retrieveEvent(ds: Dataset, id: string, params: ParamObject): Json {
  rejectUnknown(params, new Set(["expand"]));
  const event = ds.sortedEvents().find((candidate) => candidate.id === id);
  if (!event || !retained(ds, event)) throw resourceMissing("event", id, "id", 404);
  return event.data;
}

/** Which catalogued object a `/v1/<segment>` names, for permission checks. */
export function objectForPath(path: string): ObjectName | "events" | undefined {
  const segments = path.slice("/v1/".length).split("/");
  const first = segments[0] ?? "";
  if (first === "events") return "events";
  const alias = ALIASES[`${first}/${segments[1] ?? ""}`];
  if (alias) return alias;
  return isObjectName(first) ? first : undefined;
}
