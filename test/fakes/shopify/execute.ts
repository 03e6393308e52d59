/**
 * Executes a parsed GraphQL document against one shop (./data.ts): validation first (every field known on its type,
 * every argument accepted, required page sizes, sort keys of the connection's enum), with the requested cost computed
 * the way Shopify documents it (an object costs 1, a scalar 0, a connection 2 plus its page size times its node's
 * cost, a mutation 10), then execution with the actual cost counted from what was returned. Errors have the shape
 * graphql-ruby gives Shopify's: `{message, locations, path, extensions: {code, …}}`.
 *
 * Bulk mode (`bulkLines`) runs a bulk operation's query: connections ignore page sizes and return everything, and
 * each nested connection's nodes become lines of their own carrying `__parentId`, written after their parent.
 */
import { type Collection, type FieldDef, iso, type Obj, ROOT_CONNECTIONS, type ShopData, TYPES } from "./data";
import { type Document, type Field, type Location, type Operation, parse, type Selection, valueOf } from "./graphql";

export interface GraphqlErrorBody {
  message: string;
  locations?: Location[];
  path?: Array<string | number>;
  extensions?: Record<string, unknown>;
}

export class QueryError extends Error {
  readonly errors: GraphqlErrorBody[];
  constructor(errors: GraphqlErrorBody[]) {
    super(errors[0]?.message ?? "query error");
    this.errors = errors;
  }
}

export const MAX_PAGE_SIZE = 250;
export const MAX_QUERY_COST = 1000;
const CONNECTION_ARGS = ["first", "last", "after", "before", "reverse", "query", "sortKey"];

/** Root fields besides the connections. */
const ROOT_FIELDS: Record<string, { type: string; args: string[] }> = {
  node: { type: "Node", args: ["id"] },
  currentBulkOperation: { type: "BulkOperation", args: ["type"] },
  shop: { type: "Shop", args: [] },
};
const MUTATIONS: Record<string, { type: string; args: string[]; required: string[] }> = {
  bulkOperationRunQuery: { type: "BulkOperationRunQueryPayload", args: ["query", "groupObjects"], required: ["query"] },
  bulkOperationCancel: { type: "BulkOperationCancelPayload", args: ["id"], required: ["id"] },
};

export interface Prepared {
  operation: Operation;
  document: Document;
  variables: Record<string, unknown>;
  requestedCost: number;
}

interface Analysis {
  errors: GraphqlErrorBody[];
  document: Document;
  variables: Record<string, unknown>;
  bulk: boolean;
}

const fieldError = (field: Field, path: Array<string | number>, message: string, extensions: Record<string, unknown>): GraphqlErrorBody => ({
  message,
  locations: [field.loc],
  path,
  extensions,
});

/** The fields of a selection set with fragments spread (those whose type condition fits `type`). */
function fieldsOf(selections: Selection[], type: string, document: Document, errors?: GraphqlErrorBody[]): Field[] {
  const out: Field[] = [];
  for (const s of selections) {
    if (s.kind === "field") out.push(s);
    else if (s.kind === "inline") {
      if (s.typeCondition === null || s.typeCondition === type) out.push(...fieldsOf(s.selections, type, document, errors));
    } else {
      const fragment = document.fragments.get(s.name);
      if (!fragment) {
        errors?.push({ message: `Fragment ${s.name} was used, but not defined`, locations: [s.loc], extensions: { code: "useAndDefineFragment", fragmentName: s.name } });
        continue;
      }
      if (fragment.typeCondition === type) out.push(...fieldsOf(fragment.selections, type, document, errors));
    }
  }
  return out;
}

function argsOf(field: Field, variables: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(field.args).map(([k, v]) => [k, valueOf(v, variables)]));
}

function checkArgs(field: Field, accepted: string[], path: Array<string | number>, errors: GraphqlErrorBody[]): boolean {
  let ok = true;
  for (const name of Object.keys(field.args)) {
    if (!accepted.includes(name)) {
      ok = false;
      errors.push(fieldError(field, path, `Field '${field.name}' doesn't accept argument '${name}'`, { code: "argumentNotAccepted", name: field.name, typeName: "Field", argumentName: name }));
    }
  }
  return ok;
}

/** Cost of one object of `type` selected by `selections` (its own 1 not included). */
function analyzeObject(selections: Selection[] | null, type: string, path: Array<string | number>, a: Analysis, parentField?: Field): number {
  if (!selections) {
    if (parentField) a.errors.push(fieldError(parentField, path, `Field must have selections (field '${parentField.name}' returns ${type} but has no selections. Did you mean '${parentField.name} { ... }'?)`, { code: "selectionMismatch", nodeName: `field '${parentField.name}'`, typeName: type }));
    return 0;
  }
  if (type === "Node") {
    let cost = 0;
    for (const s of selections) {
      if (s.kind === "inline" && s.typeCondition) cost = Math.max(cost, analyzeObject(s.selections, s.typeCondition, path, a));
      else if (s.kind === "field" && s.name !== "id" && s.name !== "__typename") {
        a.errors.push(fieldError(s, [...path, s.name], `Field '${s.name}' doesn't exist on type 'Node'`, { code: "undefinedField", typeName: "Node", fieldName: s.name }));
      }
    }
    return cost;
  }
  const defs = TYPES[type]!;
  let cost = 0;
  for (const field of fieldsOf(selections, type, a.document, a.errors)) {
    const here = [...path, field.alias ?? field.name];
    if (field.name === "__typename") continue;
    const def = defs[field.name];
    if (!def) {
      a.errors.push(fieldError(field, here, `Field '${field.name}' doesn't exist on type '${type}'`, { code: "undefinedField", typeName: type, fieldName: field.name }));
      continue;
    }
    cost += analyzeField(field, def, here, a);
  }
  return cost;
}

function analyzeField(field: Field, def: FieldDef, path: Array<string | number>, a: Analysis): number {
  switch (def.kind) {
    case "scalar":
      checkArgs(field, [], path, a.errors);
      if (field.selections) a.errors.push(fieldError(field, path, `Selections can't be made on scalars (field '${field.name}' returns a scalar but has selections [${field.selections.map((s) => (s.kind === "field" ? s.name : "...")).join(", ")}])`, { code: "selectionMismatch" }));
      return 0;
    case "object":
      checkArgs(field, [], path, a.errors);
      return 1 + analyzeObject(field.selections, def.of, path, a, field);
    case "list":
      checkArgs(field, def.args ?? [], path, a.errors);
      return 1 + analyzeObject(field.selections, def.of, path, a, field);
    case "connection":
      return analyzeConnection(field, def.of, def.sortKeys ?? ["ID"], path, a);
  }
}

function analyzeConnection(field: Field, of: string, sortKeys: string[], path: Array<string | number>, a: Analysis, extraArgs: string[] = []): number {
  checkArgs(field, [...CONNECTION_ARGS, ...extraArgs], path, a.errors);
  const args = argsOf(field, a.variables);
  const first = (args.first ?? args.last) as number | undefined;
  if (!a.bulk) {
    if (typeof first !== "number") a.errors.push(fieldError(field, path, "you must provide one of first or last", { code: "BAD_REQUEST" }));
    else if (first > MAX_PAGE_SIZE || first < 0) a.errors.push(fieldError(field, path, `The requested amount of records (${first}) exceeds the maximum of ${MAX_PAGE_SIZE}`, { code: "BAD_REQUEST" }));
  }
  if (args.sortKey !== undefined && !sortKeys.includes(String(args.sortKey))) {
    a.errors.push(fieldError(field, path, `Argument 'sortKey' on Field '${field.name}' has an invalid value (${String(args.sortKey)}). Expected type '${of}SortKeys'.`, { code: "argumentLiteralsIncompatible", typeName: "Field", argumentName: "sortKey" }));
  }
  if (!field.selections) return analyzeObject(null, `${of}Connection`, path, a, field);
  let nodeCost = 0;
  for (const part of fieldsOf(field.selections, `${of}Connection`, a.document, a.errors)) {
    const here = [...path, part.alias ?? part.name];
    if (part.name === "pageInfo") analyzeObject(part.selections, "PageInfo", here, a, part);
    else if (part.name === "nodes") nodeCost = Math.max(nodeCost, 1 + analyzeObject(part.selections, of, here, a, part));
    else if (part.name === "edges") {
      for (const edgeField of fieldsOf(part.selections ?? [], `${of}Edge`, a.document, a.errors)) {
        if (edgeField.name === "node") nodeCost = Math.max(nodeCost, 1 + analyzeObject(edgeField.selections, of, [...here, "node"], a, edgeField));
        else if (edgeField.name !== "cursor") a.errors.push(fieldError(edgeField, [...here, edgeField.name], `Field '${edgeField.name}' doesn't exist on type '${of}Edge'`, { code: "undefinedField", typeName: `${of}Edge`, fieldName: edgeField.name }));
      }
    } else if (part.name !== "__typename") {
      a.errors.push(fieldError(part, here, `Field '${part.name}' doesn't exist on type '${of}Connection'`, { code: "undefinedField", typeName: `${of}Connection`, fieldName: part.name }));
    }
  }
  return 2 + (typeof first === "number" ? first : 1) * nodeCost;
}

function coerceVariables(operation: Operation, given: Record<string, unknown> | undefined): { variables: Record<string, unknown>; errors: GraphqlErrorBody[] } {
  const variables: Record<string, unknown> = {};
  const errors: GraphqlErrorBody[] = [];
  for (const def of operation.variables) {
    const value = given?.[def.name] ?? (def.defaultValue ? valueOf(def.defaultValue, {}) : undefined);
    if ((value === undefined || value === null) && def.type.endsWith("!")) {
      errors.push({ message: `Variable $${def.name} of type ${def.type} was provided invalid value`, locations: [operation.loc], extensions: { code: "INVALID_VARIABLE", value: null, problems: [{ path: [], explanation: "Expected value to not be null" }] } });
    }
    if (value !== undefined) variables[def.name] = value;
  }
  return { variables, errors };
}

/** Parses and validates a request; throws QueryError with every problem, or answers what to execute and its cost. */
export function prepare(text: string, given: Record<string, unknown> | undefined, operationName: string | undefined, bulk = false): Prepared {
  let document: Document;
  try {
    document = parse(text);
  } catch (error) {
    const loc = (error as { loc?: Location }).loc;
    throw new QueryError([{ message: (error as Error).message, ...(loc ? { locations: [loc] } : {}), extensions: { code: "syntaxError" } }]);
  }
  const operation = operationName ? document.operations.find((o) => o.name === operationName) : document.operations.length === 1 ? document.operations[0] : undefined;
  if (!operation) throw new QueryError([{ message: operationName ? `No operation named "${operationName}"` : "An operation name is required", extensions: { code: "OPERATION_NOT_FOUND" } }]);
  const { variables, errors } = coerceVariables(operation, given);
  if (errors.length) throw new QueryError(errors);
  const a: Analysis = { errors: [], document, variables, bulk };
  let cost = 0;
  const rootName = operation.operation === "mutation" ? "Mutation" : "QueryRoot";
  for (const field of fieldsOf(operation.selections, rootName, document, a.errors)) {
    const path = [operation.operation, field.alias ?? field.name];
    if (operation.operation === "mutation") {
      const def = MUTATIONS[field.name];
      if (!def) {
        a.errors.push(fieldError(field, path, `Field '${field.name}' doesn't exist on type 'Mutation'`, { code: "undefinedField", typeName: "Mutation", fieldName: field.name }));
        continue;
      }
      checkArgs(field, def.args, path, a.errors);
      for (const name of def.required) {
        if (!(name in field.args)) a.errors.push(fieldError(field, path, `Field '${field.name}' is missing required arguments: ${name}`, { code: "missingRequiredArguments", className: "Field", name: field.name, arguments: name }));
      }
      analyzeObject(field.selections, def.type, path, a, field);
      cost += 10;
      continue;
    }
    const root = ROOT_CONNECTIONS[field.name];
    if (root) {
      cost += analyzeConnection(field, root.of, root.sortKeys, path, a, root.args);
      continue;
    }
    const plain = ROOT_FIELDS[field.name];
    if (!plain) {
      if (field.name !== "__typename") a.errors.push(fieldError(field, path, `Field '${field.name}' doesn't exist on type 'QueryRoot'`, { code: "undefinedField", typeName: "QueryRoot", fieldName: field.name }));
      continue;
    }
    checkArgs(field, plain.args, path, a.errors);
    cost += 1 + analyzeObject(field.selections, plain.type, path, a, field);
  }
  if (a.errors.length) throw new QueryError(a.errors);
  return { operation, document, variables, requestedCost: cost };
}

// ---- execution ----

export interface Resolvers {
  shop: ShopData;
  shopInfo: Obj;
  node(id: string): { type: string; value: Obj } | undefined;
  currentBulkOperation(): Obj | null;
  mutation(name: string, args: Record<string, unknown>): Obj;
}

interface Run {
  document: Document;
  variables: Record<string, unknown>;
  resolvers: Resolvers;
  actual: number;
}

function typeOfGid(id: string): string | undefined {
  return /^gid:\/\/shopify\/([A-Za-z]+)\//.exec(id)?.[1];
}

function sortValue(item: Obj, sortKey: string): string | number {
  switch (sortKey) {
    case "UPDATED_AT":
      return String(item.updatedAt);
    case "CREATED_AT":
      return String(item.createdAt);
    case "PROCESSED_AT":
      return String(item.processedAt);
    case "TITLE":
      return String(item.title ?? item.name);
    case "SKU":
      return String(item.sku);
    case "NAME":
      return String(item.name);
    default:
      return Number(item.legacyResourceId ?? 0);
  }
}

function compareItems(a: Obj, b: Obj, sortKey: string): number {
  const x = sortValue(a, sortKey);
  const y = sortValue(b, sortKey);
  if (x < y) return -1;
  if (x > y) return 1;
  return Number(a.legacyResourceId ?? 0) - Number(b.legacyResourceId ?? 0);
}

interface Term {
  field: string;
  op: ">=" | "<=" | ">" | "<" | "=";
  value: string;
}

/** Shopify's search syntax, the part the fake honours: `field:value`, `field:>=value`, quoted values, AND. */
export function parseSearch(query: string): Term[] {
  const terms: Term[] = [];
  const re = /([a-z_]+):(>=|<=|>|<)?('([^']*)'|"([^"]*)"|(\S+))/g;
  for (const m of query.matchAll(re)) terms.push({ field: m[1]!, op: (m[2] as Term["op"]) ?? "=", value: m[4] ?? m[5] ?? m[6] ?? "" });
  return terms;
}

const FILTER_FIELDS: Record<string, string> = { updated_at: "updatedAt", created_at: "createdAt", occurred_at: "occurredAt" };

function matches(item: Obj, terms: Term[], filters: string[]): boolean {
  for (const term of terms) {
    if (!filters.includes(term.field)) continue;
    const prop = item[FILTER_FIELDS[term.field]!];
    const have = Date.parse(String(prop));
    const want = Date.parse(term.value);
    if (!Number.isFinite(want)) continue;
    const ok = term.op === ">=" ? have >= want : term.op === "<=" ? have <= want : term.op === ">" ? have > want : term.op === "<" ? have < want : have === want;
    if (!ok) return false;
  }
  return true;
}

const encodeCursor = (item: Obj, sortKey: string) => Buffer.from(JSON.stringify({ last_id: Number(item.legacyResourceId ?? 0), last_value: sortValue(item, sortKey) })).toString("base64");
function decodeCursor(cursor: string): { last_id: number; last_value: string | number } | null {
  try {
    return JSON.parse(Buffer.from(cursor, "base64").toString("utf8"));
  } catch {
    return null;
  }
}

/** The items of a root connection, filtered and sorted as the arguments ask (no paging). */
export function rootItems(shop: ShopData, fieldName: string, args: Record<string, unknown>): Obj[] {
  const root = ROOT_CONNECTIONS[fieldName]!;
  const sortKey = String(args.sortKey ?? "ID");
  const terms = typeof args.query === "string" ? parseSearch(args.query) : [];
  const subjects = Array.isArray(args.subjectTypes) ? (args.subjectTypes as string[]) : null;
  const items = shop.list(root.collection as Collection).filter((item) => matches(item, terms, root.filters) && (!subjects || subjects.includes(String(item.subjectType))));
  items.sort((a, b) => compareItems(a, b, sortKey));
  if (args.reverse === true) items.reverse();
  return items;
}

function page(items: Obj[], args: Record<string, unknown>, sortKey: string): { nodes: Obj[]; hasNextPage: boolean; hasPreviousPage: boolean } {
  let start = 0;
  if (typeof args.after === "string") {
    const cursor = decodeCursor(args.after);
    if (cursor) {
      const reverse = args.reverse === true;
      const idx = items.findIndex((item) => {
        const v = sortValue(item, sortKey);
        const id = Number(item.legacyResourceId ?? 0);
        const after = v > cursor.last_value || (v === cursor.last_value && id > cursor.last_id);
        return reverse ? !after && !(v === cursor.last_value && id === cursor.last_id) : after;
      });
      start = idx < 0 ? items.length : idx;
    }
  }
  const size = Number(args.first ?? args.last ?? MAX_PAGE_SIZE);
  const nodes = items.slice(start, start + size);
  return { nodes, hasNextPage: start + size < items.length, hasPreviousPage: start > 0 };
}

function connection(run: Run, field: Field, items: Obj[], of: string, sortKey: string): Obj {
  const args = argsOf(field, run.variables);
  const { nodes, hasNextPage, hasPreviousPage } = page(items, args, sortKey);
  run.actual += 2;
  const out: Obj = {};
  for (const part of fieldsOf(field.selections!, `${of}Connection`, run.document)) {
    const key = part.alias ?? part.name;
    if (part.name === "__typename") out[key] = `${of}Connection`;
    else if (part.name === "nodes") out[key] = nodes.map((n) => object(run, part.selections!, of, n));
    else if (part.name === "pageInfo") {
      out[key] = object(run, part.selections!, "PageInfo", {
        hasNextPage,
        hasPreviousPage,
        startCursor: nodes[0] ? encodeCursor(nodes[0], sortKey) : null,
        endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1]!, sortKey) : null,
      });
      run.actual -= 1;
    } else if (part.name === "edges") {
      out[key] = nodes.map((n) => {
        const edge: Obj = {};
        for (const e of fieldsOf(part.selections!, `${of}Edge`, run.document)) {
          if (e.name === "cursor") edge[e.alias ?? "cursor"] = encodeCursor(n, sortKey);
          else if (e.name === "node") edge[e.alias ?? "node"] = object(run, e.selections!, of, n);
        }
        return edge;
      });
    }
  }
  return out;
}

function scalar(value: Obj, name: string): unknown {
  const v = value[name];
  return v === undefined ? null : v;
}

function object(run: Run, selections: Selection[], type: string, value: Obj | null | undefined): Obj | null {
  if (value === null || value === undefined) return null;
  run.actual += 1;
  const out: Obj = {};
  const defs = TYPES[type]!;
  for (const field of fieldsOf(selections, type, run.document)) {
    const key = field.alias ?? field.name;
    if (field.name === "__typename") {
      out[key] = type;
      continue;
    }
    const def = defs[field.name]!;
    if (def.kind === "scalar") out[key] = scalar(value, field.name);
    else if (def.kind === "object") out[key] = object(run, field.selections!, def.of, value[field.name] as Obj | null);
    else if (def.kind === "list") out[key] = listValue(run, field, def.of, value);
    else out[key] = connection(run, field, (value[field.name] as Obj[]) ?? [], def.of, "ID");
  }
  return out;
}

function listValue(run: Run, field: Field, of: string, value: Obj): Obj[] {
  const args = argsOf(field, run.variables);
  let items: Obj[];
  if (of === "InventoryQuantity") {
    const names = (args.names as string[] | undefined) ?? [];
    const q = value.quantityValues as Record<string, number>;
    items = names.map((name) => ({ name, quantity: q[name] ?? 0, updatedAt: value.updatedAt }));
  } else items = (value[field.name] as Obj[]) ?? [];
  if (typeof args.first === "number") items = items.slice(0, args.first);
  return items.map((item) => object(run, field.selections!, of, item)!);
}

export function execute(prepared: Prepared, resolvers: Resolvers): { data: Obj; actualCost: number } {
  const run: Run = { document: prepared.document, variables: prepared.variables, resolvers, actual: 0 };
  const data: Obj = {};
  const op = prepared.operation;
  for (const field of fieldsOf(op.selections, op.operation === "mutation" ? "Mutation" : "QueryRoot", prepared.document)) {
    const key = field.alias ?? field.name;
    const args = argsOf(field, prepared.variables);
    if (op.operation === "mutation") {
      data[key] = object(run, field.selections!, MUTATIONS[field.name]!.type, resolvers.mutation(field.name, args));
      run.actual += 9;
      continue;
    }
    if (field.name === "__typename") data[key] = "QueryRoot";
    else if (ROOT_CONNECTIONS[field.name]) {
      const sortKey = String(args.sortKey ?? "ID");
      data[key] = connection(run, field, rootItems(resolvers.shop, field.name, args), ROOT_CONNECTIONS[field.name]!.of, sortKey);
    } else if (field.name === "node") {
      const found = resolvers.node(String(args.id));
      if (!found) data[key] = null;
      else {
        const selections: Selection[] = field.selections!.flatMap((s) => (s.kind === "inline" ? (s.typeCondition === found.type ? s.selections : []) : [s]));
        data[key] = object(run, selections, found.type, found.value);
      }
    } else if (field.name === "shop") data[key] = object(run, field.selections!, "Shop", resolvers.shopInfo);
    else if (field.name === "currentBulkOperation") data[key] = object(run, field.selections!, "BulkOperation", resolvers.currentBulkOperation());
  }
  return { data, actualCost: Math.max(1, run.actual) };
}

export { typeOfGid };

// ---- bulk operations ----

/** Checks a bulk query the way bulkOperationRunQuery does; answers the userError message or null. */
export function checkBulkQuery(text: string): string | null {
  let prepared: Prepared;
  try {
    prepared = prepare(text, {}, undefined, true);
  } catch (error) {
    return error instanceof QueryError ? `Invalid bulk query: ${error.errors.map((e) => e.message).join("; ")}` : String(error);
  }
  if (prepared.operation.operation !== "query") return "Bulk queries must be queries, not mutations.";
  const top = fieldsOf(prepared.operation.selections, "QueryRoot", prepared.document);
  if (top.length !== 1 || !ROOT_CONNECTIONS[top[0]!.name]) return "Bulk queries must contain exactly one top-level connection field.";
  let connections = 0;
  let depth = 0;
  const walk = (selections: Selection[], type: string, level: number) => {
    for (const f of fieldsOf(selections, type, prepared.document)) {
      const def = TYPES[type]?.[f.name];
      if (def?.kind === "connection") {
        connections++;
        depth = Math.max(depth, level + 1);
        const node = nodeSelections(f, def.of, prepared.document);
        if (node) walk(node, def.of, level + 1);
      } else if ((def?.kind === "object" || def?.kind === "list") && f.selections) walk(f.selections, def.of, level);
    }
  };
  const root = top[0]!;
  const node = nodeSelections(root, ROOT_CONNECTIONS[root.name]!.of, prepared.document);
  if (!node) return "The connection must select edges { node } or nodes.";
  connections = 1;
  walk(node, ROOT_CONNECTIONS[root.name]!.of, 0);
  if (connections > 5) return "Bulk queries cannot contain more than 5 connections.";
  if (depth > 2) return "Bulk queries cannot contain connections with a nesting depth greater than 2.";
  return null;
}

function nodeSelections(field: Field, of: string, document: Document): Selection[] | null {
  for (const part of fieldsOf(field.selections ?? [], `${of}Connection`, document)) {
    if (part.name === "nodes") return part.selections;
    if (part.name === "edges") for (const e of fieldsOf(part.selections ?? [], `${of}Edge`, document)) if (e.name === "node") return e.selections;
  }
  return null;
}

/** The root items a bulk query covers, at the time it is submitted. */
export function bulkRoots(shop: ShopData, text: string): { field: string; items: Obj[] } {
  const prepared = prepare(text, {}, undefined, true);
  const root = fieldsOf(prepared.operation.selections, "QueryRoot", prepared.document)[0]!;
  return { field: root.name, items: rootItems(shop, root.name, argsOf(root, prepared.variables)) };
}

/** The JSONL lines of a bulk query's result: each node, then its nested connections' nodes with `__parentId`. */
export function* bulkLines(shop: ShopData, text: string, items: Obj[]): Generator<string> {
  const prepared = prepare(text, {}, undefined, true);
  const root = fieldsOf(prepared.operation.selections, "QueryRoot", prepared.document)[0]!;
  const of = ROOT_CONNECTIONS[root.name]!.of;
  const selections = nodeSelections(root, of, prepared.document)!;
  const run: Run = { document: prepared.document, variables: prepared.variables, resolvers: { shop } as Resolvers, actual: 0 };
  for (const item of items) yield* flatten(run, selections, of, item, null);
}

function* flatten(run: Run, selections: Selection[], type: string, value: Obj, parentId: string | null): Generator<string> {
  const out: Obj = {};
  const children: Array<{ selections: Selection[]; of: string; items: Obj[] }> = [];
  const defs = TYPES[type]!;
  for (const field of fieldsOf(selections, type, run.document)) {
    const key = field.alias ?? field.name;
    if (field.name === "__typename") {
      out[key] = type;
      continue;
    }
    const def = defs[field.name]!;
    if (def.kind === "scalar") out[key] = scalar(value, field.name);
    else if (def.kind === "object") out[key] = object(run, field.selections!, def.of, value[field.name] as Obj | null);
    else if (def.kind === "list") out[key] = listValue(run, field, def.of, value);
    else children.push({ selections: nodeSelections(field, def.of, run.document)!, of: def.of, items: (value[field.name] as Obj[]) ?? [] });
  }
  if (parentId !== null) out.__parentId = parentId;
  yield `${JSON.stringify(out)}\n`;
  for (const child of children) for (const item of child.items) yield* flatten(run, child.selections, child.of, item, String(value.id));
}

export { iso };
