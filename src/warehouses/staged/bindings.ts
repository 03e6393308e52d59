/**
 * Statement markers `{{name}}` (written by staged-warehouse.ts and the adapters) turned into each warehouse's own
 * bound parameters: Snowflake's positional `?` with `{"1": {type, value}}` bindings, BigQuery's `@name` query
 * parameters, Databricks' `:name` parameters. A list expands to one parameter per value (BigQuery: one ARRAY
 * parameter under `IN UNNEST(@name)`). Values are never spliced into the SQL text.
 */
import type { BoundValue, Bindings } from "./staged-warehouse";

const MARKER = /(IN \()?\{\{([a-z_][a-z0-9_]*)\}\}(\))?/g;

function lookup(bindings: Bindings, name: string): BoundValue {
  const value = bindings[name];
  if (!value) throw new Error(`statement marker {{${name}}} has no binding`);
  return value;
}

export interface PositionalBinding {
  type: "TEXT" | "FIXED" | "TIMESTAMP_TZ";
  value: string | null;
}

/** Snowflake: `?` in order of appearance. */
export function positional(sql: string, bindings: Bindings): { sql: string; bindings: Record<string, PositionalBinding> } {
  const out: Record<string, PositionalBinding> = {};
  let n = 0;
  const push = (b: PositionalBinding) => {
    out[String(++n)] = b;
    return "?";
  };
  const text = sql.replace(MARKER, (_all, open: string | undefined, name: string, close: string | undefined) => {
    const b = lookup(bindings, name);
    let body: string;
    if (b.type === "strings") body = b.value.map((v) => push({ type: "TEXT", value: v })).join(", ");
    else if (b.type === "integer") body = push({ type: "FIXED", value: String(b.value) });
    else if (b.type === "timestamp") body = push({ type: "TEXT", value: b.value });
    else body = push({ type: "TEXT", value: b.value });
    return `${open ?? ""}${body}${close ?? ""}`;
  });
  return { sql: text, bindings: out };
}

export interface NamedParameter {
  name: string;
  type: string;
  value: string | null;
  values?: string[];
}

/** BigQuery `@name` (lists as ARRAY<STRING> under IN UNNEST) and Databricks `:name` (lists as name_0, name_1 …). */
export function named(sql: string, bindings: Bindings, style: "bigquery" | "databricks"): { sql: string; parameters: NamedParameter[] } {
  const parameters = new Map<string, NamedParameter>();
  const add = (p: NamedParameter) => {
    parameters.set(p.name, p);
    return style === "bigquery" ? `@${p.name}` : `:${p.name}`;
  };
  const scalarType = (b: BoundValue) =>
    b.type === "integer" ? (style === "bigquery" ? "INT64" : "BIGINT") : b.type === "timestamp" ? "TIMESTAMP" : "STRING";
  const text = sql.replace(MARKER, (_all, open: string | undefined, name: string, close: string | undefined) => {
    const b = lookup(bindings, name);
    if (b.type === "strings") {
      if (style === "bigquery") {
        const marker = add({ name, type: "ARRAY<STRING>", value: null, values: b.value });
        return open ? `IN UNNEST(${marker})` : marker;
      }
      const list = b.value.map((v, i) => add({ name: `${name}_${i}`, type: "STRING", value: v })).join(", ");
      return `${open ?? ""}${list}${close ?? ""}`;
    }
    const marker = add({ name, type: scalarType(b), value: b.value === null ? null : String(b.value) });
    return `${open ?? ""}${marker}${close ?? ""}`;
  });
  return { sql: text, parameters: [...parameters.values()] };
}
