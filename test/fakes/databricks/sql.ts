/**
 * Databricks SQL → DuckDB, for the statement forms a loader sends (README.md lists them). Anything else is refused
 * with the Spark error class Databricks reports (`[PARSE_SYNTAX_ERROR]`, `[UNRESOLVED_ROUTINE]`,
 * `[UNBOUND_SQL_PARAMETER]`), inside a FAILED statement status, as the Statement Execution API reports SQL errors.
 */
import { SqlRefusal, SQL_KEYWORDS_WITH_PARENS, type Token, duckQuote, leadingWords, refuseUnknownFunctions, significant, tokenize, untokenize } from "../shared/duckdb";
import { raw, rewriteCalls } from "../shared/sql-rewrite";

export interface StatementParameter {
  name: string;
  value?: string | null;
  type?: string;
}

export class DatabricksSqlError extends Error {
  constructor(
    readonly errorClass: string,
    readonly sqlState: string,
    message: string,
  ) {
    super(`[${errorClass}] ${message}`);
  }
}

export interface DuckStatement {
  sql: string;
  params: unknown[];
  kind: "query" | "dml" | "ddl";
  /** Several DuckDB statements (ADD COLUMNS with many columns) run as one transaction. */
  extra: string[];
}

const KNOWN_FUNCTIONS = new Set([
  "GET_JSON_OBJECT", "FROM_JSON", "POSEXPLODE", "ROW_NUMBER", "COALESCE", "NULLIF", "COUNT", "CURRENT_USER",
  "CURRENT_CATALOG", "CURRENT_SCHEMA", "DECIMAL", "REGEXP_EXTRACT", "TO_JSON", "COLUMNS", "TBLPROPERTIES",
]);

const DBX_TO_DUCK: Record<string, string> = {
  STRING: "VARCHAR",
  BIGINT: "BIGINT",
  INT: "INTEGER",
  DOUBLE: "DOUBLE",
  BOOLEAN: "BOOLEAN",
  TIMESTAMP: "TIMESTAMPTZ",
  DATE: "DATE",
  DECIMAL: "DECIMAL",
};

const FORMS: Array<[RegExp, DuckStatement["kind"]]> = [
  [/^SELECT /, "query"],
  [/^INSERT INTO /, "dml"],
  [/^MERGE INTO /, "dml"],
  [/^DELETE FROM /, "dml"],
  [/^CREATE SCHEMA IF NOT EXISTS /, "ddl"],
  [/^CREATE TABLE IF NOT EXISTS /, "ddl"],
  [/^CREATE OR REPLACE TABLE /, "ddl"],
  [/^ALTER TABLE [^ ]+ ADD COLUMNS /, "ddl"],
  [/^DROP TABLE IF EXISTS /, "ddl"],
];

const syntax = (near: string) => new DatabricksSqlError("PARSE_SYNTAX_ERROR", "42601", `Syntax error at or near '${near}'.`);

export function translate(statement: string, parameters: StatementParameter[], session: { user: string; catalog: string | null; schema: string | null }): DuckStatement {
  let tokens: Token[];
  try {
    tokens = tokenize(statement.trim().replace(/;\s*$/, ""), { colonParams: true });
  } catch (error) {
    throw syntax((error as Error).message);
  }
  if (tokens.some((t) => t.kind === "symbol" && t.text === ";")) throw syntax(";");
  const head = `${leadingWords(tokens, 10)} `.replace(/ \. /g, ".");
  const form = FORMS.find(([pattern]) => pattern.test(head));
  if (!form) throw syntax(leadingWords(tokens, 1));
  try {
    refuseUnknownFunctions(tokens, KNOWN_FUNCTIONS, SQL_KEYWORDS_WITH_PARENS);
  } catch (error) {
    if (error instanceof SqlRefusal) {
      throw new DatabricksSqlError("UNRESOLVED_ROUTINE", "42883", `Cannot resolve routine \`${error.message.replace("Unknown function ", "").toLowerCase()}\` on search path.`);
    }
    throw error;
  }
  const params: unknown[] = [];
  let out = backticks(tokens);
  out = bindNamed(out, parameters, params);
  out = rewriteInformationSchema(out);
  out = stripDelta(out);
  out = renameTypes(out);
  out = rewriteCalls(out, "FROM_JSON", ([x, schema]) => {
    if (!/^'ARRAY<STRING>'$/i.test(schema ?? "")) throw new DatabricksSqlError("INVALID_SCHEMA", "42K07", `The fake reads from_json only as ARRAY<STRING>, not ${schema}`);
    return `CAST(${x} AS JSON)`;
  });
  out = rewriteCalls(out, "POSEXPLODE", ([x]) => `(SELECT CAST(key AS BIGINT) AS pos, json_extract_string(value, '$') AS col FROM json_each(${x}))`);
  out = rewriteCalls(out, "GET_JSON_OBJECT", ([x, path]) => `json_extract_string(${x}, ${path})`);
  const literal = (v: string | null) => (v === null ? "NULL" : `'${v.replace(/'/g, "''")}'`);
  out = rewriteCalls(out, "CURRENT_USER", () => literal(session.user));
  out = rewriteCalls(out, "CURRENT_CATALOG", () => literal(session.catalog));
  out = rewriteCalls(out, "CURRENT_SCHEMA", () => literal(session.schema));
  if (/^ALTER TABLE /.test(head)) return addColumns(out, params);
  return { sql: untokenize(out), params, kind: form[1], extra: [] };
}

function backticks(tokens: Token[]): Token[] {
  return tokens.map((t) => {
    if (t.kind !== "quoted") return t;
    if (t.quote === '"') throw syntax(t.text);
    return raw(duckQuote(t.text.slice(1, -1)));
  });
}

const PARAM_TYPES = /^(STRING|INT|BIGINT|DOUBLE|BOOLEAN|TIMESTAMP|DATE|DECIMAL\(\d+,\s*\d+\))$/i;

function bindNamed(tokens: Token[], parameters: StatementParameter[], params: unknown[]): Token[] {
  const byName = new Map(parameters.map((p) => [p.name, p]));
  const positions = new Map<string, number>();
  return tokens.map((t) => {
    if (t.kind !== "param") return t;
    if (!t.text.startsWith(":")) throw new DatabricksSqlError("UNBOUND_SQL_PARAMETER", "42P02", `Found the unbound parameter: ${t.text}.`);
    const name = t.text.slice(1);
    const p = byName.get(name);
    if (!p) throw new DatabricksSqlError("UNBOUND_SQL_PARAMETER", "42P02", `Found the unbound parameter: ${name}. Please, fix \`args\` and provide a mapping of the parameter to either a SQL literal or collection constructor functions.`);
    const type = (p.type ?? "STRING").toUpperCase();
    if (!PARAM_TYPES.test(type)) throw new DatabricksSqlError("INVALID_PARAMETER_VALUE", "22023", `Unsupported parameter type ${type}`);
    let position = positions.get(name);
    if (position === undefined) {
      params.push(p.value ?? null);
      position = params.length;
      positions.set(name, position);
    }
    const duck = type.startsWith("DECIMAL") ? type : (DBX_TO_DUCK[type] as string);
    return raw(`CAST($${position} AS ${duck})`);
  });
}

const DBX_DATA_TYPE = `CASE WHEN data_type LIKE 'DECIMAL%' THEN 'DECIMAL' WHEN data_type = 'VARCHAR' THEN 'STRING'
  WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP' WHEN data_type = 'INTEGER' THEN 'INT' ELSE data_type END`;
const DBX_FULL_TYPE = `CASE WHEN data_type LIKE 'DECIMAL%' THEN lower(data_type) WHEN data_type = 'VARCHAR' THEN 'string'
  WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp' WHEN data_type = 'INTEGER' THEN 'int' ELSE lower(data_type) END`;

/** `"cat".information_schema.columns|tables|schemata` → DuckDB's catalog views, in Unity Catalog's column names. */
function rewriteInformationSchema(tokens: Token[]): Token[] {
  const idx = significant(tokens);
  for (let k = 0; k + 4 < idx.length; k++) {
    const [a, d1, b, d2, c] = [0, 1, 2, 3, 4].map((o) => tokens[idx[k + o] as number] as Token);
    if (!(d1!.text === "." && b!.text.toLowerCase() === "information_schema" && d2!.text === ".")) continue;
    const catalog = a!.text.replace(/^"|"$/g, "").replace(/'/g, "''");
    const view = c!.text.toLowerCase();
    let sub: string;
    if (view === "columns") {
      sub = `(SELECT table_catalog, table_schema, table_name, column_name, ${DBX_DATA_TYPE} AS data_type, ${DBX_FULL_TYPE} AS full_data_type, numeric_scale, ordinal_position - 1 AS ordinal_position FROM information_schema.columns WHERE table_catalog = '${catalog}')`;
    } else if (view === "tables") {
      sub = `(SELECT table_catalog, table_schema, table_name, 'MANAGED' AS table_type FROM information_schema.tables WHERE table_catalog = '${catalog}')`;
    } else if (view === "schemata") {
      sub = `(SELECT catalog_name, schema_name FROM information_schema.schemata WHERE catalog_name = '${catalog}')`;
    } else throw new DatabricksSqlError("TABLE_OR_VIEW_NOT_FOUND", "42P01", `The table or view \`information_schema\`.\`${view}\` cannot be found.`);
    return rewriteInformationSchema([...tokens.slice(0, idx[k]), raw(`${sub} AS ${view}`), ...tokens.slice((idx[k + 4] as number) + 1)]);
  }
  return tokens;
}

/** `USING DELTA` and `TBLPROPERTIES (…)` have no DuckDB counterpart; another format is refused. */
function stripDelta(tokens: Token[]): Token[] {
  const idx = significant(tokens);
  for (let k = 0; k + 1 < idx.length; k++) {
    const t = tokens[idx[k] as number] as Token;
    const next = tokens[idx[k + 1] as number] as Token;
    if (t.kind === "word" && t.text.toUpperCase() === "USING" && next.kind === "word" && /^(DELTA|PARQUET|CSV|JSON)$/i.test(next.text)) {
      if (next.text.toUpperCase() !== "DELTA") throw new DatabricksSqlError("UNSUPPORTED_FEATURE", "0A000", `The loader writes Delta tables only (USING ${next.text})`);
      return stripDelta([...tokens.slice(0, idx[k]), ...tokens.slice((idx[k + 1] as number) + 1)]);
    }
    if (t.kind === "word" && t.text.toUpperCase() === "TBLPROPERTIES" && next.text === "(") {
      let depth = 0;
      let end = idx[k + 1] as number;
      for (; end < tokens.length; end++) {
        if ((tokens[end] as Token).text === "(") depth += 1;
        if ((tokens[end] as Token).text === ")" && --depth === 0) break;
      }
      return stripDelta([...tokens.slice(0, idx[k]), ...tokens.slice(end + 1)]);
    }
  }
  return tokens;
}

function renameTypes(tokens: Token[]): Token[] {
  const idx = significant(tokens);
  const out = [...tokens];
  for (let k = 1; k < idx.length; k++) {
    const t = out[idx[k] as number] as Token;
    const before = (out[idx[k - 1] as number] as Token).text.toUpperCase();
    if (t.kind === "word" && DBX_TO_DUCK[t.text.toUpperCase()] && (before === "AS" || before.startsWith('"'))) {
      out[idx[k] as number] = raw(DBX_TO_DUCK[t.text.toUpperCase()] as string);
    }
  }
  return out;
}

/** `ALTER TABLE t ADD COLUMNS (a T, b U)` → one DuckDB ADD COLUMN per column, in one transaction. */
function addColumns(tokens: Token[], params: unknown[]): DuckStatement {
  const text = untokenize(tokens);
  const m = /^ALTER\s+TABLE\s+(.+?)\s+ADD\s+COLUMNS\s*\(([\s\S]*)\)\s*$/i.exec(text.trim());
  if (!m) throw syntax("ADD COLUMNS");
  const definitions: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of m[2] as string) {
    if (ch === "(") depth += 1;
    if (ch === ")") depth -= 1;
    if (ch === "," && depth === 0) {
      definitions.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (current.trim()) definitions.push(current.trim());
  const statements = definitions.map((d) => `ALTER TABLE ${m[1]} ADD COLUMN ${d}`);
  return { sql: statements[0] as string, params, kind: "ddl", extra: statements.slice(1) };
}
