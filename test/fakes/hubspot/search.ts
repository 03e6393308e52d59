/**
 * POST /crm/v3/objects/{type}/search (research §2 "Streams"): filterGroups are ORed, filters within a group
 * ANDed; one sort; limit ≤ 200; `after` is an offset and after + limit may not pass 10,000 (HubSpot answers
 * 400, which is why connectors move their lower bound instead of paging further). Archived records are
 * never returned. Datetime filter values may be epoch milliseconds or ISO 8601.
 */
import { findProperty, type CrmObjectDef } from "./catalog";
import type { PropertyDef } from "./property-defs";
import { validationError } from "./errors";
import { ok, type Reply } from "./http-util";
import { propertyValue, renderRecord, selectPropertyNames } from "./record-view";
import { activeRecords, type CrmRecord, type Dataset } from "./records";

const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 10;
const MAX_RESULTS = 10_000;
const MAX_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 10;
const MAX_FILTERS = 25;

const OPERATORS = new Set([
  "EQ",
  "NEQ",
  "LT",
  "LTE",
  "GT",
  "GTE",
  "BETWEEN",
  "IN",
  "NOT_IN",
  "HAS_PROPERTY",
  "NOT_HAS_PROPERTY",
  "CONTAINS_TOKEN",
  "NOT_CONTAINS_TOKEN",
]);

type Scalar = number | string | boolean;
type Predicate = (record: CrmRecord) => boolean;

class SearchRequestError extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function comparable(property: PropertyDef, raw: string): Scalar {
  switch (property.type) {
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || Number.isNaN(value)) throw new SearchRequestError(`${raw} is not a valid number`);
      return value;
    }
    case "date":
    case "datetime": {
      const value = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Date.parse(raw);
      if (Number.isNaN(value)) throw new SearchRequestError(`${raw} is not a valid timestamp`);
      return value;
    }
    case "bool":
      return raw.toLowerCase() === "true";
    default:
      return raw.toLowerCase();
  }
}

function compare(a: Scalar, b: Scalar): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function text(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new SearchRequestError(`${what} is required`);
}

function compileFilter(data: Dataset, def: CrmObjectDef, filter: unknown): Predicate {
  if (!isObject(filter)) throw new SearchRequestError("each filter must be an object");
  const name = text(filter.propertyName, "propertyName");
  const operator = text(filter.operator, "operator");
  const property = findProperty(def, name);
  if (!property) throw new SearchRequestError(`Property ${name} does not exist on object type ${def.objectTypeId}`);
  if (!OPERATORS.has(operator)) throw new SearchRequestError(`Unknown operator ${operator}`);
  const read = (record: CrmRecord) => {
    const raw = propertyValue(data, def, record, name);
    return raw === null ? null : comparable(property, raw);
  };
  if (operator === "HAS_PROPERTY") return (record) => read(record) !== null;
  if (operator === "NOT_HAS_PROPERTY") return (record) => read(record) === null;
  if (operator === "IN" || operator === "NOT_IN") {
    if (!Array.isArray(filter.values)) throw new SearchRequestError(`${operator} needs a values array`);
    const wanted = filter.values.map((value) => comparable(property, text(value, "values[]")));
    const inside = (record: CrmRecord) => {
      const value = read(record);
      return value !== null && wanted.includes(value);
    };
    return operator === "IN" ? inside : (record) => !inside(record);
  }
  if (operator === "CONTAINS_TOKEN" || operator === "NOT_CONTAINS_TOKEN") {
    const token = text(filter.value, "value").replaceAll("*", "").toLowerCase();
    const contains = (record: CrmRecord) => (propertyValue(data, def, record, name) ?? "").toLowerCase().includes(token);
    return operator === "CONTAINS_TOKEN" ? contains : (record) => !contains(record);
  }
  const low = comparable(property, text(filter.value, "value"));
  if (operator === "BETWEEN") {
    const high = comparable(property, text(filter.highValue, "highValue"));
    return (record) => {
      const value = read(record);
      return value !== null && compare(value, low) >= 0 && compare(value, high) <= 0;
    };
  }
  // NEQ keeps records without a value (verify: HubSpot documents no rule for unset properties).
  if (operator === "NEQ") return (record) => read(record) !== low;
  const accept: Readonly<Record<string, (order: number) => boolean>> = {
    EQ: (order) => order === 0,
    LT: (order) => order < 0,
    LTE: (order) => order <= 0,
    GT: (order) => order > 0,
    GTE: (order) => order >= 0,
  };
  const test = accept[operator];
  if (!test) throw new SearchRequestError(`Unknown operator ${operator}`);
  return (record) => {
    const value = read(record);
    return value !== null && test(compare(value, low));
  };
}

function compileGroups(data: Dataset, def: CrmObjectDef, groups: unknown): Predicate {
  if (groups === undefined) return () => true;
  if (!Array.isArray(groups)) throw new SearchRequestError("filterGroups must be an array");
  if (groups.length > MAX_GROUPS) {
    throw new SearchRequestError(`Too many filter groups (${groups.length}). The maximum is ${MAX_GROUPS}.`);
  }
  let total = 0;
  const compiled = groups.map((group) => {
    const filters = isObject(group) && Array.isArray(group.filters) ? group.filters : null;
    if (filters === null) throw new SearchRequestError("each filter group needs a filters array");
    if (filters.length > MAX_FILTERS_PER_GROUP) {
      const limit = MAX_FILTERS_PER_GROUP;
      throw new SearchRequestError(`Too many filters in a group (${filters.length}). The maximum is ${limit}.`);
    }
    total += filters.length;
    const predicates = filters.map((filter) => compileFilter(data, def, filter));
    return (record: CrmRecord) => predicates.every((predicate) => predicate(record));
  });
  if (total > MAX_FILTERS) throw new SearchRequestError(`Too many filters (${total}). The maximum is ${MAX_FILTERS}.`);
  return compiled.length === 0 ? () => true : (record) => compiled.some((predicate) => predicate(record));
}

function compileSort(data: Dataset, def: CrmObjectDef, sorts: unknown): (a: CrmRecord, b: CrmRecord) => number {
  const byId = (a: CrmRecord, b: CrmRecord) => a.id - b.id;
  if (sorts === undefined || (Array.isArray(sorts) && sorts.length === 0)) return byId;
  if (!Array.isArray(sorts)) throw new SearchRequestError("sorts must be an array");
  if (sorts.length > 1) throw new SearchRequestError("Only one sort is supported.");
  const sort: unknown = sorts[0];
  // The Node client types sorts as strings, so both `"-createdate"` and `{propertyName, direction}` occur.
  const [name, descending] =
    typeof sort === "string"
      ? [sort.replace(/^-/, ""), sort.startsWith("-")]
      : isObject(sort)
        ? [text(sort.propertyName, "sorts[].propertyName"), sort.direction === "DESCENDING"]
        : [undefined, false];
  const property = name === undefined ? undefined : findProperty(def, name);
  if (!property || name === undefined) throw new SearchRequestError(`Cannot sort by ${String(name)}`);
  return (a, b) => {
    const left = propertyValue(data, def, a, name);
    const right = propertyValue(data, def, b, name);
    if (left === null || right === null) return left === right ? byId(a, b) : left === null ? 1 : -1;
    const order = compare(comparable(property, left), comparable(property, right));
    return (descending ? -order : order) || byId(a, b);
  };
}

function compileQuery(data: Dataset, def: CrmObjectDef, query: unknown): Predicate {
  if (query === undefined || query === "") return () => true;
  const needle = text(query, "query").toLowerCase();
  return (record) =>
    def.queryProperties.some((name) => (propertyValue(data, def, record, name) ?? "").toLowerCase().includes(needle));
}

function integer(value: unknown, what: string, fallback: number): number {
  if (value === undefined || value === null || value === "") return fallback;
  const parsed = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new SearchRequestError(`${what} must be a non-negative integer`);
  return parsed;
}

export function search(data: Dataset, def: CrmObjectDef, body: unknown): Reply {
  try {
    if (!isObject(body)) throw new SearchRequestError("Invalid input JSON: expected an object");
    const limit = integer(body.limit, "limit", DEFAULT_LIMIT);
    if (limit > MAX_LIMIT) throw new SearchRequestError(`limit must be at most ${MAX_LIMIT}`);
    const after = integer(body.after, "after", 0);
    // Wording (verify): HubSpot documents the 400 for paging past 10,000 results, not its message.
    if (after + limit > MAX_RESULTS) {
      throw new SearchRequestError(`Paging past ${MAX_RESULTS} results is not supported (after=${after}, limit=${limit}).`);
    }
    const matches = compileGroups(data, def, body.filterGroups);
    const matchesQuery = compileQuery(data, def, body.query);
    const order = compileSort(data, def, body.sorts);
    const requested = Array.isArray(body.properties) ? body.properties.map((name) => text(name, "properties[]")) : null;
    const names = selectPropertyNames(def, requested);
    const hits = activeRecords(data.objects[def.name])
      .filter((record) => matches(record) && matchesQuery(record))
      .sort(order);
    const page = hits.slice(after, after + limit);
    const next = after + page.length;
    return ok({
      total: hits.length,
      results: page.map((record) => renderRecord(data, def, record, names)),
      // Search paging carries only the offset (verify: the reference example also shows a `link`).
      ...(next < hits.length && page.length > 0 ? { paging: { next: { after: String(next) } } } : {}),
    });
  } catch (error) {
    if (error instanceof SearchRequestError) return validationError(error.message);
    throw error;
  }
}
