/**
 * Runs a SOQL query against a tenant's dataset and returns the full, projected result. The caller snapshots it
 * behind a query locator, so later pages do not shift when data changes mid-pagination (a server-side cursor).
 */
import type { Dataset } from "../dataset";
import type { FieldValue, SfRecord } from "../records";
import { isIdLike, literalClass, type FieldDef, type ObjectDef } from "../schema";
import { normalizeId } from "../ids";
import { type ResolvedPath, resolveObject, resolvePath } from "./bind";
import { SoqlError } from "./errors";
import { type Condition, type Literal, type OrderItem, parseSoql, type SelectItem } from "./parser";
import { follow, type JsonValue, readPath, recordUrl, renderField } from "./values";

export interface QueryResult {
  object: string;
  totalSize: number;
  records: Array<Record<string, JsonValue>>;
}

/** SOQL's documented cap on OFFSET. */
const MAX_OFFSET = 2000;
/** FIELDS(ALL) and FIELDS(CUSTOM) are only allowed with a bounded LIMIT. */
const FIELDS_FUNCTION_MAX_LIMIT = 200;

type Predicate = (record: SfRecord) => boolean;

const LITERAL_TYPE_NAME = { datetime: "dateTime", date: "date", boolean: "boolean", number: "double", text: "string", compound: "address" } as const;

function literalFits(field: FieldDef, literal: Literal): boolean {
  switch (literalClass(field.type)) {
    case "datetime":
      return literal.kind === "datetime";
    case "date":
      return literal.kind === "date";
    case "boolean":
      return literal.kind === "boolean";
    case "number":
      return literal.kind === "number";
    case "text":
      return literal.kind === "string";
    case "compound":
      return false;
  }
}

/** Reduces a literal to the stored representation of the field it is compared with. */
function coerce(field: FieldDef, literal: Literal, pos: number): FieldValue {
  if (literal.kind === "null") return null;
  if (!literalFits(field, literal)) {
    const cls = literalClass(field.type);
    const quoted = cls === "text" ? "should be enclosed in quotes" : "should not be enclosed in quotes";
    throw new SoqlError("INVALID_FIELD", pos, `value of filter criterion for field '${field.name}' must be of type ${LITERAL_TYPE_NAME[cls]} and ${quoted}`);
  }
  if (isIdLike(field.type) && literal.kind === "string") {
    const id = normalizeId(literal.value);
    if (!id) throw new SoqlError("INVALID_QUERY_FILTER_OPERATOR", pos, `invalid ID field: ${literal.value}`);
    return id;
  }
  return literal.value;
}

/** SOQL text comparison is case-insensitive; ids compare exactly (after 15→18 normalisation). */
function compareValues(field: FieldDef, a: FieldValue, b: FieldValue): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const left = isIdLike(field.type) ? String(a) : String(a).toLowerCase();
  const right = isIdLike(field.type) ? String(b) : String(b).toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

function likeRegex(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === "\\" && i + 1 < pattern.length) {
      source += pattern.charAt(++i).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else if (ch === "%") source += "[\\s\\S]*";
    else if (ch === "_") source += "[\\s\\S]";
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "i");
}

function compilePredicate(dataset: Dataset, def: ObjectDef, condition: Condition): Predicate {
  switch (condition.kind) {
    case "and": {
      const parts = condition.items.map((c) => compilePredicate(dataset, def, c));
      return (r) => parts.every((p) => p(r));
    }
    case "or": {
      const parts = condition.items.map((c) => compilePredicate(dataset, def, c));
      return (r) => parts.some((p) => p(r));
    }
    case "not": {
      const inner = compilePredicate(dataset, def, condition.item);
      return (r) => !inner(r);
    }
    default:
      break;
  }
  const path = resolvePath(def, condition.path);
  if (!path.field.filterable) {
    throw new SoqlError("INVALID_FIELD", condition.path.pos, `field '${path.field.name}' can not be filtered in a query call`);
  }
  const read = (r: SfRecord) => readPath(dataset, r, path);
  const field = path.field;
  if (condition.kind === "like") {
    if (literalClass(field.type) !== "text" || isIdLike(field.type)) {
      throw new SoqlError("INVALID_FIELD", condition.path.pos, `invalid operator on ${field.type} field: ${field.name}`);
    }
    const regex = likeRegex(condition.pattern);
    return (r) => {
      const value = read(r);
      return typeof value === "string" && regex.test(value);
    };
  }
  if (condition.kind === "in") {
    const values = condition.values.map((v) => coerce(field, v, condition.valuePos));
    const matches = (value: FieldValue) => value !== null && values.some((v) => v !== null && compareValues(field, value, v) === 0);
    return condition.negate ? (r) => !matches(read(r)) : (r) => matches(read(r));
  }
  const expected = coerce(field, condition.value, condition.valuePos);
  const op = condition.op;
  if (expected === null) {
    if (op !== "=" && op !== "!=") throw new SoqlError("MALFORMED_QUERY", condition.valuePos, `invalid operator on null value: ${op}`);
    return op === "=" ? (r) => read(r) === null : (r) => read(r) !== null;
  }
  return (r) => {
    const value = read(r);
    // SOQL's != matches rows where the field is null; ordering operators never match null.
    if (value === null) return op === "!=";
    const cmp = compareValues(field, value, expected);
    switch (op) {
      case "=":
        return cmp === 0;
      case "!=":
        return cmp !== 0;
      case "<":
        return cmp < 0;
      case "<=":
        return cmp <= 0;
      case ">":
        return cmp > 0;
      case ">=":
        return cmp >= 0;
    }
  };
}

function compileOrder(dataset: Dataset, def: ObjectDef, items: OrderItem[]): ((a: SfRecord, b: SfRecord) => number) | undefined {
  if (items.length === 0) return undefined;
  const keys = items.map((item) => {
    const path = resolvePath(def, item.path);
    if (!path.field.sortable) {
      throw new SoqlError("INVALID_FIELD", item.path.pos, `field '${path.field.name}' can not be sorted in a query call`);
    }
    return { path, item };
  });
  return (a, b) => {
    for (const { path, item } of keys) {
      const x = readPath(dataset, a, path);
      const y = readPath(dataset, b, path);
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === item.nullsFirst ? -1 : 1;
      }
      const cmp = compareValues(path.field, x, y);
      if (cmp !== 0) return item.descending ? -cmp : cmp;
    }
    return 0;
  };
}

/** A projection tree: leaves are fields, branches are parent relationships rendered as nested objects. */
interface Projection {
  def: ObjectDef;
  entries: Array<{ kind: "field"; field: FieldDef } | { kind: "parent"; via: FieldDef; child: Projection }>;
}

function addToProjection(root: Projection, path: ResolvedPath): void {
  let node = root;
  for (const hop of path.hops) {
    let entry = node.entries.find((e) => e.kind === "parent" && e.via.name === hop.via.name);
    if (!entry) {
      entry = { kind: "parent", via: hop.via, child: { def: hop.target, entries: [] } };
      node.entries.push(entry);
    }
    if (entry.kind !== "parent") throw new Error("unreachable");
    node = entry.child;
  }
  if (!node.entries.some((e) => e.kind === "field" && e.field.name === path.field.name)) {
    node.entries.push({ kind: "field", field: path.field });
  }
}

function project(dataset: Dataset, apiVersion: string, node: Projection, record: SfRecord): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { attributes: { type: node.def.name, url: recordUrl(apiVersion, node.def.name, record.Id ?? null) } };
  for (const entry of node.entries) {
    if (entry.kind === "field") {
      out[entry.field.name] = renderField(record, entry.field);
    } else {
      const parent = follow(dataset, record, entry.via, entry.child.def);
      out[entry.via.relationshipName ?? entry.via.name] = parent ? project(dataset, apiVersion, entry.child, parent) : null;
    }
  }
  return out;
}

function buildProjection(def: ObjectDef, select: SelectItem[], limit: number | undefined): { projection: Projection; countOnly: boolean } {
  const projection: Projection = { def, entries: [] };
  const seen = new Set<string>();
  let countOnly = false;
  for (const item of select) {
    if (item.kind === "count") {
      if (select.length > 1) throw new SoqlError("MALFORMED_QUERY", item.pos, "COUNT() must be the only element in the SELECT list");
      countOnly = true;
      continue;
    }
    if (item.kind === "fields") {
      if (item.which !== "STANDARD" && (limit === undefined || limit > FIELDS_FUNCTION_MAX_LIMIT)) {
        throw new SoqlError("MALFORMED_QUERY", item.pos, `The SOQL FIELDS function must have a LIMIT of at most ${FIELDS_FUNCTION_MAX_LIMIT}`);
      }
      for (const field of def.fields) {
        const custom = field.name.endsWith("__c");
        if (item.which === "ALL" || (item.which === "CUSTOM") === custom) {
          seen.add(field.name.toLowerCase());
          addToProjection(projection, { hops: [], field, key: field.name.toLowerCase() });
        }
      }
      continue;
    }
    const path = resolvePath(def, item.path);
    if (seen.has(path.key)) throw new SoqlError("MALFORMED_QUERY", item.path.pos, `duplicate field selected: ${item.path.segments.join(".")}`);
    seen.add(path.key);
    addToProjection(projection, path);
  }
  return { projection, countOnly };
}

export function executeSoql(
  query: string,
  dataset: Dataset,
  options: { includeDeleted: boolean; apiVersion: string },
): QueryResult & { countOnly: boolean } {
  const parsed = parseSoql(query);
  const def = resolveObject(parsed.from.name, parsed.from.pos);
  const { projection, countOnly } = buildProjection(def, parsed.select, parsed.limit?.value);
  const predicate = parsed.where ? compilePredicate(dataset, def, parsed.where) : undefined;
  const order = compileOrder(dataset, def, parsed.orderBy);
  if (parsed.offset && parsed.offset.value > MAX_OFFSET) {
    throw new SoqlError("NUMBER_OUTSIDE_VALID_RANGE", parsed.offset.pos, `Maximum SOQL offset allowed is ${MAX_OFFSET}`);
  }
  const store = dataset.stores.get(def.name);
  let rows = (store?.records ?? []).filter(
    (r) => (options.includeDeleted || r.IsDeleted !== true) && (!predicate || predicate(r)),
  );
  if (order) rows = [...rows].sort(order);
  const offset = parsed.offset?.value ?? 0;
  rows = rows.slice(offset, parsed.limit ? offset + parsed.limit.value : undefined);
  return {
    object: def.name,
    totalSize: rows.length,
    countOnly,
    records: countOnly ? [] : rows.map((r) => project(dataset, options.apiVersion, projection, r)),
  };
}
