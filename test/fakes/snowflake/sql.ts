/**
 * Snowflake SQL → DuckDB, for the statement forms a loader sends and nothing more (README.md lists them). A form or
 * function outside that list is refused with Snowflake's compilation-error body, as is `PARSE_JSON` inside VALUES,
 * which real Snowflake rejects ("Invalid expression … in VALUES clause", research/warehouses.md §1).
 */
import { SqlRefusal, SQL_KEYWORDS_WITH_PARENS, type Token, duckQuote, leadingWords, refuseUnknownFunctions, significant, tokenize, untokenize } from "../shared/duckdb";
import { callArguments, numberPositional, raw, renameWords, rewriteCalls } from "../shared/sql-rewrite";

export interface Session {
  user: string;
  role: string;
  /** Null when the session has no usable warehouse (missing, or no USAGE). */
  warehouse: string | null;
  database: string | null;
  schema: string | null;
}

export interface DuckPlan {
  statements: Array<{ sql: string; params: unknown[] }>;
  /** Several DuckDB statements for one Snowflake statement (SWAP WITH, multi-column ADD) run as one transaction. */
  atomic: boolean;
  /** Snowflake's answer shape: a result set, or the "number of rows …" / "status" row of DML and DDL. */
  kind: "query" | "insert" | "merge" | "delete" | "ddl";
}

export class SnowflakeSqlError extends Error {
  constructor(
    readonly code: string,
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
  }
}

const KNOWN_FUNCTIONS = new Set([
  "PARSE_JSON", "TO_VARCHAR", "TO_VARIANT", "TO_DOUBLE", "STRIP_NULL_VALUE", "ROW_NUMBER", "COALESCE", "NULLIF", "COUNT",
  "CURRENT_USER", "CURRENT_ROLE", "CURRENT_WAREHOUSE", "CURRENT_DATABASE", "CURRENT_SCHEMA", "CURRENT_VERSION",
  "FLATTEN", "NUMBER", "DECIMAL", "VARCHAR", "TIMESTAMP_TZ", "REGEXP_SUBSTR", "TO_NUMBER",
]);

const TYPES: Record<string, string> = {
  VARIANT: "JSON",
  NUMBER: "DECIMAL",
  TIMESTAMP_TZ: "TIMESTAMPTZ",
  FLOAT: "DOUBLE",
  TEXT: "VARCHAR",
  STRING: "VARCHAR",
};

const FORMS: Array<[RegExp, DuckPlan["kind"]]> = [
  [/^SELECT /, "query"],
  [/^INSERT INTO /, "insert"],
  [/^MERGE INTO /, "merge"],
  [/^DELETE FROM /, "delete"],
  [/^CREATE SCHEMA IF NOT EXISTS /, "ddl"],
  [/^CREATE (TRANSIENT )?TABLE IF NOT EXISTS /, "ddl"],
  [/^CREATE OR REPLACE (TRANSIENT )?TABLE /, "ddl"],
  [/^ALTER TABLE /, "ddl"],
  [/^DROP TABLE IF EXISTS /, "ddl"],
];

export function syntaxError(detail: string): SnowflakeSqlError {
  return new SnowflakeSqlError("001003", "42000", `SQL compilation error:\nsyntax error line 1 at position 0 unexpected '${detail}'.`);
}

/** Translates one Snowflake statement with its bindings (`{"1": {type, value}}`) for the DuckDB of the account. */
export function translate(statement: string, bindings: Record<string, { type: string; value: unknown }>, session: Session): DuckPlan {
  let tokens: Token[];
  try {
    tokens = tokenize(statement.trim().replace(/;\s*$/, ""));
  } catch (error) {
    throw syntaxError((error as Error).message);
  }
  if (tokens.some((t) => t.kind === "symbol" && t.text === ";")) {
    throw new SnowflakeSqlError(
      "000008",
      "0A000",
      "Actual statement count 2 did not match the desired statement count 1.",
    );
  }
  const head = leadingWords(tokens, 8) + " ";
  const form = FORMS.find(([pattern]) => pattern.test(head));
  if (!form) throw syntaxError(leadingWords(tokens, 2));
  refuseValuesParseJson(tokens);
  try {
    refuseUnknownFunctions(tokens, KNOWN_FUNCTIONS, SQL_KEYWORDS_WITH_PARENS);
  } catch (error) {
    if (error instanceof SqlRefusal) throw new SnowflakeSqlError("002140", "42601", `SQL compilation error:\n${error.message}`);
    throw error;
  }
  const params = bindingValues(bindings);

  if (/^ALTER TABLE /.test(head)) return alterTable(tokens, params);

  const numbered = numberPositional(tokens);
  if (numbered.count !== params.length) {
    throw new SnowflakeSqlError("002049", "42601", `SQL compilation error: Bind variable count ${params.length} does not match placeholders ${numbered.count}`);
  }
  let out = numbered.tokens;
  // Paths and type names first: a rewritten call becomes one opaque token that later passes do not look into.
  out = rewritePaths(out);
  out = rewriteInformationSchema(out);
  out = renameWords(out, TYPES);
  out = rewriteCalls(out, "PARSE_JSON", ([x]) => `CAST(${x} AS JSON)`);
  out = rewriteFlatten(out);
  out = rewriteCalls(out, "TO_VARCHAR", ([x]) => `CAST(${x} AS VARCHAR)`);
  out = rewriteCalls(out, "TO_DOUBLE", ([x]) => `CAST(${x} AS DOUBLE)`);
  out = rewriteCalls(out, "TO_VARIANT", ([x]) => `to_json(${x})`);
  out = rewriteCalls(out, "REGEXP_SUBSTR", ([x, pattern]) => `regexp_extract(${x}, ${pattern})`);
  out = rewriteCalls(out, "TO_NUMBER", ([x]) => `CAST(${x} AS DECIMAL(38,0))`);
  out = rewriteCalls(out, "STRIP_NULL_VALUE", ([x]) => `NULLIF(${x}, 'null'::JSON)`);
  const literal = (value: string | null) => (value === null ? "NULL" : `'${value.replace(/'/g, "''")}'`);
  out = rewriteCalls(out, "CURRENT_USER", () => literal(session.user));
  out = rewriteCalls(out, "CURRENT_ROLE", () => literal(session.role));
  out = rewriteCalls(out, "CURRENT_WAREHOUSE", () => literal(session.warehouse));
  out = rewriteCalls(out, "CURRENT_DATABASE", () => literal(session.database));
  out = rewriteCalls(out, "CURRENT_SCHEMA", () => literal(session.schema));
  out = rewriteCalls(out, "CURRENT_VERSION", () => "'9.0.0-fake'");
  out = out.filter((t, i) => !(t.kind === "word" && /^(TRANSIENT)$/i.test(t.text) && i < 8));
  out = dropCopyGrants(out);
  return { statements: [{ sql: untokenize(out), params }], atomic: false, kind: form[1] };
}

function bindingValues(bindings: Record<string, { type: string; value: unknown }>): unknown[] {
  const keys = Object.keys(bindings).map(Number).sort((a, b) => a - b);
  return keys.map((key, index) => {
    if (key !== index + 1) throw new SnowflakeSqlError("002049", "42601", `Bind variable ${index + 1} not set.`);
    const { type, value } = bindings[String(key)] as { type: string; value: unknown };
    if (value === null) return null;
    if (typeof value !== "string") throw new SnowflakeSqlError("002049", "42601", `Bind variable ${key}: value must be a string`);
    switch (type) {
      case "TEXT":
        return value;
      case "FIXED":
        if (!/^-?\d+$/.test(value)) throw new SnowflakeSqlError("100038", "22018", `Numeric value '${value}' is not recognized`);
        return BigInt(value);
      case "REAL":
        return Number(value);
      case "BOOLEAN":
        return value === "true";
      case "TIMESTAMP_TZ":
      case "TIMESTAMP_NTZ":
        return value;
      default:
        throw new SnowflakeSqlError("002049", "42601", `Unsupported bind type ${type}`);
    }
  });
}

/** `VALUES (PARSE_JSON(?))` is not accepted by Snowflake; the loader must use INSERT … SELECT. */
function refuseValuesParseJson(tokens: Token[]): void {
  const idx = significant(tokens);
  for (let k = 0; k + 1 < idx.length; k++) {
    const t = tokens[idx[k] as number] as Token;
    if (t.kind !== "word" || t.text.toUpperCase() !== "VALUES") continue;
    const open = idx[k + 1] as number;
    if ((tokens[open] as Token).text !== "(") continue;
    const { close } = callArguments(tokens, open);
    const inside = untokenize(tokens.slice(open, close + 1));
    if (/PARSE_JSON\s*\(/i.test(inside)) {
      throw new SnowflakeSqlError("002014", "22000", `SQL compilation error:\nInvalid expression [PARSE_JSON(?)] in VALUES clause`);
    }
  }
}

/** `TABLE(FLATTEN(INPUT => x))` → a DuckDB table of INDEX and VALUE over the JSON array x. */
function rewriteFlatten(tokens: Token[]): Token[] {
  return rewriteCalls(tokens, "TABLE", ([inner]) => {
    const m = /^FLATTEN\s*\(\s*INPUT\s*=>\s*([\s\S]+)\)$/i.exec(inner ?? "");
    if (!m) throw new SnowflakeSqlError("002140", "42601", `SQL compilation error:\nUnknown table function ${inner}`);
    return `(SELECT CAST(key AS BIGINT) AS "INDEX", value AS "VALUE" FROM json_each(${m[1]}))`;
  });
}

/**
 * `r."REC":"KEY"` → `(r."REC"->>'KEY')` when a cast follows (the text of a scalar), else `(r."REC"->'KEY')` (a
 * VARIANT). Paths are only ever written against a quoted key; anything else is refused.
 */
function rewritePaths(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (!(t.kind === "symbol" && t.text === ":")) {
      out.push(t);
      continue;
    }
    const key = tokens[i + 1];
    if (!key || key.kind !== "quoted") throw syntaxError(":");
    // The base: the qualified name just before the colon (`r."REC"`, `"VALUE"`, `VALUE`).
    let start = out.length - 1;
    while (start > 0 && (out[start - 1] as Token).text === "." ) start -= 2;
    const base = untokenize(out.slice(start));
    out.length = start;
    let j = i + 2;
    while (tokens[j]?.kind === "space") j += 1;
    const cast = tokens[j]?.text === "::";
    out.push(raw(`(${base}${cast ? "->>" : "->"}'${key.text.slice(1, -1).replace(/'/g, "''")}')`));
    i += 1;
  }
  return out;
}

const SNOWFLAKE_DATA_TYPE = `CASE WHEN data_type LIKE 'DECIMAL%' OR data_type IN ('BIGINT', 'INTEGER', 'HUGEINT') THEN 'NUMBER'
  WHEN data_type = 'VARCHAR' THEN 'TEXT' WHEN data_type = 'DOUBLE' THEN 'FLOAT' WHEN data_type = 'BOOLEAN' THEN 'BOOLEAN'
  WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_TZ' WHEN data_type = 'JSON' THEN 'VARIANT' ELSE data_type END`;

/** `"DB".INFORMATION_SCHEMA.COLUMNS|TABLES|SCHEMATA` → DuckDB's catalog views, in Snowflake's columns and type names. */
function rewriteInformationSchema(tokens: Token[]): Token[] {
  const idx = significant(tokens);
  for (let k = 0; k + 4 < idx.length; k++) {
    const [a, d1, b, d2, c] = [0, 1, 2, 3, 4].map((o) => tokens[idx[k + o] as number] as Token);
    if (!(a!.kind === "quoted" && d1!.text === "." && b!.text.toUpperCase() === "INFORMATION_SCHEMA" && d2!.text === ".")) continue;
    const catalog = a!.text.slice(1, -1).replace(/'/g, "''");
    const view = c!.text.toUpperCase();
    let sub: string;
    if (view === "COLUMNS") {
      sub = `(SELECT table_schema AS "TABLE_SCHEMA", table_name AS "TABLE_NAME", column_name AS "COLUMN_NAME", ${SNOWFLAKE_DATA_TYPE} AS "DATA_TYPE", numeric_precision AS "NUMERIC_PRECISION", numeric_scale AS "NUMERIC_SCALE", ordinal_position AS "ORDINAL_POSITION" FROM information_schema.columns WHERE table_catalog = '${catalog}')`;
    } else if (view === "TABLES") {
      sub = `(SELECT table_schema AS "TABLE_SCHEMA", table_name AS "TABLE_NAME", 'BASE TABLE' AS "TABLE_TYPE" FROM information_schema.tables WHERE table_catalog = '${catalog}')`;
    } else if (view === "SCHEMATA") {
      sub = `(SELECT schema_name AS "SCHEMA_NAME" FROM information_schema.schemata WHERE catalog_name = '${catalog}')`;
    } else throw syntaxError(`INFORMATION_SCHEMA.${view}`);
    return rewriteInformationSchema([...tokens.slice(0, idx[k]), raw(`${sub} AS "${view}"`), ...tokens.slice((idx[k + 4] as number) + 1)]);
  }
  return tokens;
}

function dropCopyGrants(tokens: Token[]): Token[] {
  const idx = significant(tokens);
  for (let k = 0; k + 1 < idx.length; k++) {
    const a = tokens[idx[k] as number] as Token;
    const b = tokens[idx[k + 1] as number] as Token;
    if (a.kind === "word" && a.text.toUpperCase() === "COPY" && b.kind === "word" && b.text.toUpperCase() === "GRANTS") {
      return [...tokens.slice(0, idx[k]), ...tokens.slice((idx[k + 1] as number) + 1)];
    }
  }
  return tokens;
}

/** A dotted name at the start of `rest`: its parts (unquoted) and how many significant tokens it spans. */
function qualifiedName(rest: Token[]): { parts: string[]; length: number } {
  const parts: string[] = [];
  let k = 0;
  for (;;) {
    const t = rest[k];
    if (!t || (t.kind !== "quoted" && t.kind !== "word")) throw syntaxError(t?.text ?? "end of statement");
    parts.push(t.kind === "quoted" ? t.text.slice(1, -1) : t.text.toUpperCase());
    if (rest[k + 1]?.text !== ".") return { parts, length: k + 1 };
    k += 2;
  }
}

const qualified = (parts: string[]) => parts.map(duckQuote).join(".");

/** ADD COLUMN IF NOT EXISTS (one or several), SWAP WITH, RENAME TO. */
function alterTable(tokens: Token[], params: unknown[]): DuckPlan {
  const sig = significant(tokens).map((i) => tokens[i] as Token);
  let k = 2;
  let ifExists = false;
  if (sig[k]?.text.toUpperCase() === "IF" && sig[k + 1]?.text.toUpperCase() === "EXISTS") {
    ifExists = true;
    k += 2;
  }
  const table = qualifiedName(sig.slice(k));
  k += table.length;
  const action = sig
    .slice(k, k + 2)
    .map((t) => t.text.toUpperCase())
    .join(" ");
  if (params.length) throw syntaxError("?");
  if (action === "SWAP WITH") {
    const other = qualifiedName(sig.slice(k + 2));
    if (other.parts.length !== table.parts.length || other.parts.slice(0, -1).join(".") !== table.parts.slice(0, -1).join(".")) {
      throw new SnowflakeSqlError("002003", "42S02", "SQL compilation error: SWAP WITH needs both tables in one schema (fake)");
    }
    const temp = `__swap_${Date.now().toString(36)}`;
    const a = qualified(table.parts);
    const b = qualified(other.parts);
    const schema = table.parts.slice(0, -1);
    return {
      atomic: true,
      kind: "ddl",
      statements: [
        { sql: `ALTER TABLE ${a} RENAME TO ${duckQuote(temp)}`, params: [] },
        { sql: `ALTER TABLE ${b} RENAME TO ${duckQuote(table.parts.at(-1) as string)}`, params: [] },
        { sql: `ALTER TABLE ${qualified([...schema, temp])} RENAME TO ${duckQuote(other.parts.at(-1) as string)}`, params: [] },
      ],
    };
  }
  if (action === "RENAME TO") {
    const other = qualifiedName(sig.slice(k + 2));
    return {
      atomic: false,
      kind: "ddl",
      statements: [{ sql: `ALTER TABLE ${ifExists ? "IF EXISTS " : ""}${qualified(table.parts)} RENAME TO ${duckQuote(other.parts.at(-1) as string)}`, params: [] }],
    };
  }
  if (action === "ADD COLUMN" || action.startsWith("ADD ")) {
    let rest = untokenize(tokens.slice(significant(tokens)[k + (action === "ADD COLUMN" ? 2 : 1)]));
    let ifNotExists = false;
    const m = /^IF\s+NOT\s+EXISTS\s+/i.exec(rest);
    if (m) {
      ifNotExists = true;
      rest = rest.slice(m[0].length);
    }
    const definitions = splitTopLevel(rest);
    return {
      atomic: true,
      kind: "ddl",
      statements: definitions.map((definition) => ({
        sql: `ALTER TABLE ${qualified(table.parts)} ADD COLUMN ${ifNotExists ? "IF NOT EXISTS " : ""}${untokenize(renameWords(tokenize(definition), TYPES))}`,
        params: [],
      })),
    };
  }
  throw syntaxError(`ALTER TABLE … ${action}`);
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const t of tokenize(text)) {
    if (t.text === "(") depth += 1;
    if (t.text === ")") depth -= 1;
    if (depth === 0 && t.text === ",") {
      out.push(current.trim());
      current = "";
    } else current += t.text;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
