/**
 * The real SQL engine behind the warehouse fakes (Snowflake, BigQuery, Databricks): an in-memory DuckDB
 * (`@duckdb/node-api`, which runs MERGE INTO, QUALIFY and JSON functions), one instance per tenant, statements run one
 * at a time so a multi-statement swap is never interleaved with another request's statement. Each fake translates the
 * vendor's SQL into DuckDB's with the scanner below and refuses anything it does not know, loudly, in the vendor's
 * own error shape: an adapter that sends SQL the real warehouse would not take fails here too.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

export interface DuckResult {
  columns: string[];
  /** DuckDB's type names (`BIGINT`, `DECIMAL(38,0)`, `TIMESTAMP WITH TIME ZONE`, `JSON`, …). */
  types: string[];
  /** Every value as DuckDB's JSON-friendly form (strings for big numbers and timestamps), null for NULL. */
  rows: unknown[][];
  rowsChanged: number;
}

export class DuckTenant {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly catalogs = new Set<string>();
  private readonly attaching = new Map<string, Promise<void>>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async create(): Promise<DuckTenant> {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    // Timestamps print in UTC, as every warehouse's REST API returns them.
    await connection.run("SET TimeZone = 'UTC'");
    return new DuckTenant(instance, connection);
  }

  /** Runs `work` with the connection to itself: nothing else runs in between (a transaction stays whole). */
  exclusive<T>(work: (run: (sql: string, params?: unknown[]) => Promise<DuckResult>) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => work((sql, params) => this.runNow(sql, params)));
    this.queue = next.catch(() => undefined);
    return next;
  }

  run(sql: string, params: unknown[] = []): Promise<DuckResult> {
    return this.exclusive((run) => run(sql, params));
  }

  /** Statements in one transaction: all or nothing, as the vendors' atomic swaps and copy jobs are. */
  transaction(statements: Array<{ sql: string; params?: unknown[] }>): Promise<DuckResult[]> {
    return this.exclusive(async (run) => {
      await run("BEGIN TRANSACTION");
      try {
        const results: DuckResult[] = [];
        for (const statement of statements) results.push(await run(statement.sql, statement.params));
        await run("COMMIT");
        return results;
      } catch (error) {
        await run("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  hasCatalog(name: string): boolean {
    return this.catalogs.has(name);
  }

  /** A vendor database / project / catalog is an attached in-memory DuckDB catalog of the same name. */
  ensureCatalog(name: string): Promise<void> {
    // One ATTACH per name even when two requests ask at once (a second ATTACH of a name fails in DuckDB).
    let attached = this.attaching.get(name);
    if (!attached) {
      attached = this.run(`ATTACH ':memory:' AS ${duckQuote(name)}`).then(() => void this.catalogs.add(name));
      this.attaching.set(name, attached);
    }
    return attached;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.connection.closeSync();
    this.instance.closeSync?.();
  }

  private async runNow(sql: string, params: unknown[] = []): Promise<DuckResult> {
    const bound = params.length ? (params as never) : undefined;
    const reader = await this.connection.runAndReadAll(sql, bound);
    const columns = reader.columnNames();
    // JSON is a VARCHAR with an alias; the alias is what tells a JSON column apart.
    const types = reader.columnTypes().map((type) => (type as { alias?: string }).alias ?? String(type));
    const rows = reader.getRowsJson() as unknown[][];
    // DML answers one row with its count; DuckDB reports it as a "Count" column.
    const rowsChanged = columns.length === 1 && columns[0] === "Count" ? Number(rows[0]?.[0] ?? 0) : 0;
    return { columns, types, rows, rowsChanged };
  }
}

export function duckQuote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export type Token =
  | { kind: "word"; text: string }
  | { kind: "quoted"; text: string; quote: '"' | "`" }
  | { kind: "string"; text: string }
  | { kind: "number"; text: string }
  | { kind: "param"; text: string }
  | { kind: "symbol"; text: string }
  | { kind: "space"; text: string };

/**
 * Splits SQL into tokens, keeping every character (joining the texts gives the input back). Strings are `'…'` with
 * `''` or `\'` escapes; quoted identifiers `"…"` or `` `…` ``; parameters `?`, `@name`, and `:name` where the dialect
 * uses them (Databricks; on Snowflake `:` is the path operator of `value:"ID"`).
 */
export function tokenize(sql: string, options: { colonParams?: boolean } = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const rest = sql.slice(i);
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^\s+/))) tokens.push({ kind: "space", text: m[0] });
    else if ((m = rest.match(/^--[^\n]*/))) tokens.push({ kind: "space", text: m[0] });
    else if (c === "'") {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === "\\") j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j += 1;
      }
      if (j >= sql.length) throw new SqlRefusal(`unterminated string literal at position ${i}`);
      tokens.push({ kind: "string", text: sql.slice(i, j + 1) });
      i = j + 1;
      continue;
    } else if (c === '"' || c === "`") {
      const end = sql.indexOf(c, i + 1);
      if (end < 0) throw new SqlRefusal(`unterminated quoted identifier at position ${i}`);
      tokens.push({ kind: "quoted", text: sql.slice(i, end + 1), quote: c });
      i = end + 1;
      continue;
    } else if ((m = rest.match(options.colonParams ? /^(\?|:[A-Za-z_][A-Za-z0-9_]*|@[A-Za-z_][A-Za-z0-9_]*)/ : /^(\?|@[A-Za-z_][A-Za-z0-9_]*)/)) && !rest.startsWith("::")) {
      tokens.push({ kind: "param", text: m[0] });
    } else if ((m = rest.match(/^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/))) tokens.push({ kind: "number", text: m[0] });
    else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_$]*/))) tokens.push({ kind: "word", text: m[0] });
    else if ((m = rest.match(/^(::|<=|>=|<>|!=|=>|->>|->|\|\|)/))) tokens.push({ kind: "symbol", text: m[0] });
    else tokens.push({ kind: "symbol", text: c });
    i += (tokens[tokens.length - 1] as Token).text.length;
  }
  return tokens;
}

/** Indexes of the non-space tokens, so rewrites can look at neighbours without skipping whitespace by hand. */
export function significant(tokens: Token[]): number[] {
  return tokens.flatMap((token, index) => (token.kind === "space" ? [] : [index]));
}

/** The name of every function call (`WORD (`) outside strings and quoted identifiers, upper-cased. */
export function calledFunctions(tokens: Token[]): string[] {
  const idx = significant(tokens);
  const names: string[] = [];
  for (let k = 0; k + 1 < idx.length; k++) {
    const token = tokens[idx[k] as number] as Token;
    const next = tokens[idx[k + 1] as number] as Token;
    const before = k > 0 ? (tokens[idx[k - 1] as number] as Token).text.toUpperCase() : "";
    // `INSERT INTO t (a, b)`, `CREATE TABLE s.t (…)`: a table name before its column list is no call.
    if (before === "." || before === "TABLE" || before === "INTO" || before === "EXISTS") continue;
    if (token.kind === "word" && next.text === "(") names.push(token.text.toUpperCase());
  }
  return names;
}

/** A statement the fake will not run: the fake answers it with the vendor's own "syntax error / unsupported" body. */
export class SqlRefusal extends Error {
  override readonly name = "SqlRefusal";
}

/** The first words of a statement, upper-cased and single-spaced (`CREATE OR REPLACE TABLE`). */
export function leadingWords(tokens: Token[], count: number): string {
  return tokens
    .filter((t) => t.kind !== "space")
    .slice(0, count)
    .map((t) => (t.kind === "word" ? t.text.toUpperCase() : t.text))
    .join(" ");
}

/**
 * Checks every called function against the dialect's known set, and every bare word used as a type (after `::` or
 * `AS` inside CAST, or in a column definition) is rewritten by the caller. Throws a SqlRefusal naming the first
 * unknown function, so an adapter cannot come to depend on a DuckDB function the vendor lacks.
 */
export function refuseUnknownFunctions(tokens: Token[], known: ReadonlySet<string>, keywordsTakingParens: ReadonlySet<string>): void {
  for (const name of calledFunctions(tokens)) {
    if (!known.has(name) && !keywordsTakingParens.has(name)) throw new SqlRefusal(`Unknown function ${name}`);
  }
}

/** Keywords followed by a parenthesis in ordinary SQL, which are not function calls. */
export const SQL_KEYWORDS_WITH_PARENS: ReadonlySet<string> = new Set([
  "IN", "VALUES", "AS", "ON", "AND", "OR", "NOT", "EXISTS", "OVER", "USING", "TABLE", "WHERE", "SELECT", "FROM", "WHEN",
  "THEN", "ELSE", "BY", "INTO", "SET", "COLUMNS", "IS", "JOIN", "QUALIFY", "INSERT", "CASE", "END", "WITH", "ADD",
  "COLUMN", "DISTINCT", "UNION", "ALL", "NULLIF", "COALESCE", "CAST", "ROW_NUMBER", "COUNT",
]);

export function untokenize(tokens: Token[]): string {
  return tokens.map((t) => t.text).join("");
}
