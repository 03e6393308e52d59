/**
 * GoogleSQL (BigQuery standard SQL) → DuckDB, for the statement forms a loader sends (README.md lists them). Other
 * forms and unknown functions are refused with BigQuery's `invalidQuery` error, and a QUALIFY without WHERE, GROUP BY
 * or HAVING is refused as BigQuery refuses it.
 */
import { SqlRefusal, SQL_KEYWORDS_WITH_PARENS, type Token, duckQuote, leadingWords, refuseUnknownFunctions, significant, tokenize, untokenize } from "../shared/duckdb";
import { raw, renameWords, rewriteCalls } from "../shared/sql-rewrite";

export interface QueryParameter {
  name?: string;
  parameterType: { type: string; arrayType?: { type: string } };
  parameterValue: { value?: string | null; arrayValues?: Array<{ value: string }> };
}

export interface DuckQuery {
  sql: string;
  params: unknown[];
  statementType: "SELECT" | "INSERT" | "MERGE" | "DELETE" | "CREATE_TABLE" | "CREATE_TABLE_AS_SELECT" | "ALTER_TABLE" | "DROP_TABLE" | "CREATE_SCHEMA";
  /** Tables the statement names, as `project.dataset.table` (for location and permission checks). */
  tables: string[];
}

export class BigQuerySqlError extends Error {
  constructor(
    readonly reason: "invalidQuery" | "notFound" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

const KNOWN_FUNCTIONS = new Set([
  "JSON_VALUE", "JSON_QUERY", "PARSE_JSON", "TO_JSON", "TO_JSON_STRING", "ROW_NUMBER", "COALESCE", "NULLIF", "COUNT",
  "UNNEST", "REGEXP_EXTRACT", "SESSION_USER", "CURRENT_TIMESTAMP", "NUMERIC", "BIGNUMERIC", "STRING", "SAFE_CAST",
]);

export const BIGQUERY_TO_DUCK: Record<string, string> = {
  STRING: "VARCHAR",
  INT64: "BIGINT",
  INTEGER: "BIGINT",
  FLOAT64: "DOUBLE",
  FLOAT: "DOUBLE",
  BOOL: "BOOLEAN",
  BOOLEAN: "BOOLEAN",
  NUMERIC: "DECIMAL(38,9)",
  // DuckDB decimals stop at 38 digits: BIGNUMERIC is modelled as DECIMAL(38,10) (28 digits before the point).
  BIGNUMERIC: "DECIMAL(38,10)",
  TIMESTAMP: "TIMESTAMPTZ",
  DATE: "DATE",
  JSON: "JSON",
};

const FORMS: Array<[RegExp, DuckQuery["statementType"]]> = [
  [/^SELECT /, "SELECT"],
  [/^(WITH) /, "SELECT"],
  [/^INSERT INTO /, "INSERT"],
  [/^MERGE INTO /, "MERGE"],
  [/^DELETE FROM /, "DELETE"],
  [/^CREATE SCHEMA IF NOT EXISTS /, "CREATE_SCHEMA"],
  [/^CREATE TABLE IF NOT EXISTS /, "CREATE_TABLE"],
  [/^CREATE OR REPLACE TABLE [^ ]+( OPTIONS \(.*\))? AS /, "CREATE_TABLE_AS_SELECT"],
  [/^ALTER TABLE [^ ]+ ADD COLUMN IF NOT EXISTS /, "ALTER_TABLE"],
  [/^DROP TABLE IF EXISTS /, "DROP_TABLE"],
];

const invalid = (message: string) => new BigQuerySqlError("invalidQuery", message);

export function translate(query: string, parameters: QueryParameter[], defaultProject: string): DuckQuery {
  let tokens: Token[];
  try {
    tokens = tokenize(query.trim().replace(/;\s*$/, ""));
  } catch (error) {
    throw invalid(`Syntax error: ${(error as Error).message}`);
  }
  if (tokens.some((t) => t.kind === "symbol" && t.text === ";")) throw invalid("The fake runs one statement per query (scripts are not supported)");
  const head = `${leadingWords(tokens, 12)} `;
  const form = FORMS.find(([pattern]) => pattern.test(head.replace(/ \. /g, ".")));
  if (!form) throw invalid(`Syntax error: Unexpected keyword ${leadingWords(tokens, 2)} at [1:1]`);
  try {
    refuseUnknownFunctions(tokens, KNOWN_FUNCTIONS, SQL_KEYWORDS_WITH_PARENS);
  } catch (error) {
    if (error instanceof SqlRefusal) throw invalid(`Function not found: ${error.message.replace("Unknown function ", "")}`);
    throw error;
  }
  const words = new Set(tokens.filter((t) => t.kind === "word").map((t) => t.text.toUpperCase()));
  if (words.has("QUALIFY") && !words.has("WHERE") && !words.has("GROUP") && !words.has("HAVING")) {
    throw invalid("QUALIFY clause must be used in conjunction with WHERE or GROUP BY or HAVING clause");
  }

  const tables: string[] = [];
  let out = qualifyBackticks(tokens, defaultProject, tables);
  const params: unknown[] = [];
  out = bindNamed(out, parameters, params);
  out = rewriteUnnest(out);
  out = renameTypes(out);
  out = rewriteCalls(out, "JSON_VALUE", ([x, path]) => `json_extract_string(${x}, ${path})`);
  out = rewriteCalls(out, "JSON_QUERY", ([x, path]) => `json_extract(${x}, ${path})`);
  out = rewriteCalls(out, "PARSE_JSON", ([x]) => `CAST(${x} AS JSON)`);
  out = rewriteCalls(out, "TO_JSON", ([x]) => `to_json(${x})`);
  out = rewriteCalls(out, "TO_JSON_STRING", ([x]) => `CAST(to_json(${x}) AS VARCHAR)`);
  out = rewriteCalls(out, "SESSION_USER", () => "'loader'");
  out = stripOptions(out);
  return { sql: untokenize(out), params, statementType: form[1], tables };
}

/** `` `p.d.t` `` or `` `p`.`d`.`t` `` or `` `d.t` `` → `"p"."d"."t"`; names are recorded for the caller's checks. */
function qualifyBackticks(tokens: Token[], defaultProject: string, tables: string[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== "quoted") {
      out.push(t);
      continue;
    }
    if (t.quote === '"') throw invalid(`Syntax error: double-quoted identifiers are string literals in GoogleSQL: ${t.text}`);
    const parts = [t.text.slice(1, -1)];
    while (tokens[i + 1]?.text === "." && tokens[i + 2]?.kind === "quoted") {
      parts.push((tokens[i + 2] as Token).text.slice(1, -1));
      i += 2;
    }
    const names = parts.flatMap((p) => p.split("."));
    if (names.length === 2) names.unshift(defaultProject);
    if (names.length === 3) tables.push(names.join("."));
    out.push(raw(names.map(duckQuote).join(".")));
  }
  return out;
}

function bindNamed(tokens: Token[], parameters: QueryParameter[], params: unknown[]): Token[] {
  const byName = new Map(parameters.map((p) => [String(p.name ?? "").toLowerCase(), p]));
  const positions = new Map<string, number>();
  return tokens.map((t) => {
    if (t.kind !== "param" || !t.text.startsWith("@")) {
      if (t.kind === "param") throw invalid("Positional parameters are not used by the loader (fake)");
      return t;
    }
    const name = t.text.slice(1).toLowerCase();
    const p = byName.get(name);
    if (!p) throw invalid(`Query parameter '${name}' not found`);
    if (p.parameterType.type === "ARRAY") {
      const values = (p.parameterValue.arrayValues ?? []).map((v) => `'${String(v.value).replace(/'/g, "''")}'`);
      return raw(`[${values.join(", ")}]::VARCHAR[]`);
    }
    let position = positions.get(name);
    if (position === undefined) {
      params.push(scalar(p));
      position = params.length;
      positions.set(name, position);
    }
    const duckType = BIGQUERY_TO_DUCK[p.parameterType.type];
    if (!duckType) throw invalid(`Unsupported query parameter type ${p.parameterType.type}`);
    return raw(`CAST($${position} AS ${duckType})`);
  });
}

function scalar(p: QueryParameter): unknown {
  const value = p.parameterValue.value;
  if (value === null || value === undefined) return null;
  return String(value);
}

/** `IN UNNEST(x)` → `IN (SELECT unnest(x))`. */
function rewriteUnnest(tokens: Token[]): Token[] {
  return rewriteCalls(tokens, "UNNEST", ([x]) => `(SELECT unnest(${x}))`);
}

function renameTypes(tokens: Token[]): Token[] {
  const idx = significant(tokens);
  const out = [...tokens];
  for (let k = 1; k < idx.length; k++) {
    const t = out[idx[k] as number] as Token;
    const before = (out[idx[k - 1] as number] as Token).text.toUpperCase();
    // Types appear after AS inside CAST, and in column definitions after the column name (a quoted identifier).
    if (t.kind === "word" && BIGQUERY_TO_DUCK[t.text.toUpperCase()] && (before === "AS" || before.startsWith('"') || before === ",")) {
      out[idx[k] as number] = raw(BIGQUERY_TO_DUCK[t.text.toUpperCase()] as string);
    }
  }
  return renameWords(out, {});
}

/** `OPTIONS (...)` on CREATE TABLE (expiration, description) has no DuckDB counterpart; the server applies it. */
function stripOptions(tokens: Token[]): Token[] {
  const idx = significant(tokens);
  for (let k = 0; k + 1 < idx.length; k++) {
    const t = tokens[idx[k] as number] as Token;
    if (t.kind === "word" && t.text.toUpperCase() === "OPTIONS" && (tokens[idx[k + 1] as number] as Token).text === "(") {
      let depth = 0;
      let end = idx[k + 1] as number;
      for (; end < tokens.length; end++) {
        if ((tokens[end] as Token).text === "(") depth += 1;
        if ((tokens[end] as Token).text === ")" && --depth === 0) break;
      }
      return [...tokens.slice(0, idx[k]), ...tokens.slice(end + 1)];
    }
  }
  return tokens;
}

/** DuckDB column type → BigQuery schema type. */
export function bigQueryType(duck: string): string {
  if (duck === "VARCHAR") return "STRING";
  if (/^(BIGINT|INTEGER|HUGEINT|SMALLINT)$/.test(duck)) return "INTEGER";
  if (duck === "DOUBLE" || duck === "FLOAT") return "FLOAT";
  if (duck === "BOOLEAN") return "BOOLEAN";
  if (duck === "DECIMAL(38,9)") return "NUMERIC";
  if (duck === "DECIMAL(38,10)") return "BIGNUMERIC";
  if (duck === "TIMESTAMP WITH TIME ZONE") return "TIMESTAMP";
  if (duck === "DATE") return "DATE";
  if (duck === "JSON") return "JSON";
  return "STRING";
}

/** BigQuery schema type (legacy or standard spelling) → DuckDB, or undefined when the fake does not model it. */
export function duckType(type: string): string | undefined {
  return BIGQUERY_TO_DUCK[type.toUpperCase()];
}
