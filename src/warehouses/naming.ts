/**
 * Identifier rules shared by every warehouse (DESIGN §4): lower snake_case so users can query tables and columns
 * unquoted, collisions resolved from the names alone (no mapping table to store or lose), every result validated
 * before it is quoted into SQL.
 */
import { DELETED_AT_FIELD as DELETED_AT_FIELD_OF_READERS } from "../../connectors/kit/records";
import { WarehouseError } from "./errors";

/** PostgreSQL truncates identifiers to NAMEDATALEN-1 = 63 bytes; names stay portable by never exceeding it. */
export const MAX_IDENTIFIER_LENGTH = 63;

/** Metadata columns every loaded table carries. A source field that normalizes to one of them is renamed. */
export const META = {
  runId: "_loader_run_id",
  syncedAt: "_loader_synced_at",
  batchId: "_loader_batch_id",
  deletedAt: DELETED_AT_FIELD_OF_READERS,
} as const;

const RESERVED = new Set<string>(Object.values(META));

/**
 * The record key a connector sets on a deleted record (`StreamSpec.reports_deletes`): it is the soft-delete marker,
 * written to `_loader_deleted_at`, never a column of its own.
 */
export const DELETED_AT_FIELD = META.deletedAt;

const VALID = /^[a-z_][a-z0-9_]*$/;

/** FNV-1a, 32 bits, as 8 hex digits: stable across runtimes and runs, which is all a name suffix needs. */
export function stableHash(value: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** `lineItems` → `line_items`, `HTTPStatus` → `http_status`, `Foo__c` → `foo__c`, `Total ($)` → `total`. */
export function snakeCase(name: string): string {
  const snake = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/^[^a-z0-9_]+|[^a-z0-9_]+$/g, "")
    .replace(/[^a-z0-9_]+/g, "_");
  if (!/[a-z0-9]/.test(snake)) return `_${stableHash(name)}`;
  return /^[0-9]/.test(snake) ? `_${snake}` : snake;
}

/** Over-long names keep a readable prefix and end in a hash of the whole name, so two long names stay distinct. */
export function fitIdentifier(name: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  if (name.length <= maxLength) return name;
  return `${name.slice(0, maxLength - 9)}_${stableHash(name)}`;
}

export function assertIdentifier(name: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  if (!VALID.test(name) || name.length > maxLength) {
    throw new WarehouseError("data", `Invalid warehouse identifier "${name}"`);
  }
  return name;
}

/** The only way identifiers enter SQL: validated, then double-quoted (valid names never contain a quote). */
export function quoteIdentifier(name: string): string {
  return `"${assertIdentifier(name, Number.MAX_SAFE_INTEGER)}"`;
}

/** `SALESFORCE_RAW` → `salesforce_raw`: the user's own spelling, lower-cased as the lower-case warehouses fold it. */
export function schemaName(targetSchema: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  const lowered = targetSchema.trim().toLowerCase().replace(/[^a-z0-9_]+/g, "_");
  if (!/[a-z0-9]/.test(lowered)) {
    throw new WarehouseError("configuration", `Invalid target schema "${targetSchema}": a schema name needs at least one letter or digit`);
  }
  return assertIdentifier(fitIdentifier(/^[0-9]/.test(lowered) ? `_${lowered}` : lowered, maxLength), maxLength);
}

export function tableName(stream: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  return assertIdentifier(fitIdentifier(snakeCase(stream), maxLength), maxLength);
}

/**
 * Maps source field names to column names. Fields whose snake_case coincides are resolved from the names alone: a
 * field already spelled in normal form keeps the name (otherwise the first in code-unit order does), the others get
 * `_<hash of the original name>`; metadata names are never given to a source field. The same set of field names
 * always yields the same mapping; the stream's JSON schema, when it has one, fixes that set across batches.
 */
export function columnNames(fields: Iterable<string>, maxLength = MAX_IDENTIFIER_LENGTH): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const field of new Set(fields)) {
    const base = snakeCase(field);
    const group = groups.get(base);
    if (group) group.push(field);
    else groups.set(base, [field]);
  }
  const result = new Map<string, string>();
  const taken = new Set<string>();
  for (const [base, group] of groups) {
    const owner = RESERVED.has(base) ? undefined : (group.find((field) => field === base) ?? [...group].sort()[0]);
    for (const field of group) {
      const name =
        field === owner
          ? fitIdentifier(base, maxLength)
          : `${base.slice(0, maxLength - 9)}_${stableHash(field)}`;
      if (taken.has(name)) {
        throw new WarehouseError("data", `Fields normalize to the same column "${name}"; rename one at the source`);
      }
      taken.add(assertIdentifier(name, maxLength));
      result.set(field, name);
    }
  }
  return result;
}

/** Per-run staging table beside the target: a retried run never sees another run's rows. */
export function stagingTableName(table: string, runId: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  return assertIdentifier(fitIdentifier(`${table}__stage_${stableHash(runId)}`, maxLength), maxLength);
}

export function indexName(table: string, purpose: "pk" | "batch", maxLength = MAX_IDENTIFIER_LENGTH): string {
  return assertIdentifier(fitIdentifier(`${table}__${purpose}`, maxLength), maxLength);
}
