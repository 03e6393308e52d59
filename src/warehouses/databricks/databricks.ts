/**
 * Databricks over the SQL Statement Execution API (research/warehouses.md §3): `POST /api/2.0/sql/statements` on the
 * SQL warehouse named by `http_path`, named parameters (values never spliced), `wait_timeout` with polling while
 * PENDING (a warehouse that is starting) or RUNNING, Unity Catalog names `catalog.schema.table`, a personal access
 * token or OAuth M2M. The API has no idempotency key, so every statement is idempotent by itself: a group is staged
 * into the run's Delta load table only if its stage key is not there yet, the MERGE rewrites identical values, and a
 * keyless commit deletes the committed batches before inserting them. full_refresh replaces the target with
 * `CREATE OR REPLACE TABLE … AS SELECT` (one Delta commit: readers see the old version until it lands).
 */
import type { AuthProvider } from "../../../connectors/kit/auth";
import { bearer } from "../../../connectors/kit/auth";
import { ConnectorError, isConnectorError } from "../../../connectors/kit/errors";
import type { HttpClient } from "../../../connectors/kit/http";
import { createHttpClient } from "../../../connectors/kit/http";
import { oauth2ClientCredentials } from "../../../connectors/kit/oauth2";
import { runConnectionChecks } from "../connection-test";
import type { ConnectionTestStep, WarehouseDeps } from "../contract";
import { WarehouseError, errorMessage, warehouseErrorFrom } from "../errors";
import type { ColumnChange, TableShape } from "../load-plan";
import { pollUntilDone } from "../polling";
import { parseWarehouseConfig } from "../specs";
import type { MergeDialect } from "../sql";
import { named } from "../staged/bindings";
import { type Bindings, LOAD_COLUMNS, type StagePart, type StagedDialect, type StagedTable, StagedWarehouse } from "../staged/staged-warehouse";
import type { ColumnSpec, ColumnType } from "../types";
import { databricksSpec } from "./spec";

export const DATABRICKS_TYPES: Record<ColumnType, string> = {
  string: "STRING",
  integer: "BIGINT",
  big_integer: "DECIMAL(38,0)",
  decimal: "DECIMAL(38,9)",
  number: "DOUBLE",
  boolean: "BOOLEAN",
  date: "DATE",
  timestamp: "TIMESTAMP",
  // JSON text in a STRING: VARIANT needs a recent runtime on every warehouse that reads the table.
  json: "STRING",
};

export function databricksColumnType(dataType: string, scale: number | null): ColumnType {
  switch (dataType.toUpperCase()) {
    case "DECIMAL":
      return scale ? "decimal" : "big_integer";
    case "BIGINT":
    case "INT":
    case "LONG":
    case "SMALLINT":
      return "integer";
    case "DOUBLE":
    case "FLOAT":
      return "number";
    case "BOOLEAN":
      return "boolean";
    case "DATE":
      return "date";
    case "TIMESTAMP":
      return "timestamp";
    default:
      return "string";
  }
}

interface DatabricksConfig {
  host: string;
  http_path: string;
  token?: string;
  client_id?: string;
  client_secret?: string;
  catalog: string;
  schema: string;
}

interface StatementStatus {
  statement_id: string;
  status: { state: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELED" | "CLOSED"; error?: { error_code?: string; message?: string } };
  result?: { data_array?: Array<Array<string | null>>; next_chunk_index?: number };
}

/** A warehouse that is starting keeps statements PENDING for minutes; the wait is bounded by the chunk's budget. */
const STATEMENT_WAIT_MS = 10 * 60_000;

const CONFIGURATION_CLASSES = /\[(TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND|NO_SUCH_CATALOG_EXCEPTION|CATALOG_NOT_FOUND|INSUFFICIENT_PERMISSIONS|PERMISSION_DENIED|UNAUTHORIZED_ACCESS)\]/;

export function warehouseIdOf(httpPath: string): string {
  const m = /^\/sql\/1\.0\/(?:warehouses|endpoints)\/([A-Za-z0-9]+)\/?$/.exec(httpPath);
  if (!m) throw new WarehouseError("configuration", `Databricks: http_path "${httpPath}" does not name a SQL warehouse (/sql/1.0/warehouses/<id>)`);
  return m[1] as string;
}

export class DatabricksDialect implements StagedDialect {
  readonly warehouse = "Databricks";
  readonly maxIdentifierLength = 255;
  /** Statement text and parameters stay far under the API's 16 MiB. */
  readonly maxStagePayloadBytes = 4_000_000;
  readonly merge: MergeDialect = {
    quote: (name) => `\`${name}\``,
    cursorNotOlder: (newer, older) => `${newer} >= ${older}`,
    keyless: "delete-insert",
  };
  private readonly http: HttpClient;
  private readonly auth: AuthProvider;
  private readonly warehouseId: string;
  private readonly schemas = new Set<string>();

  constructor(
    private readonly config: DatabricksConfig,
    private readonly deps: WarehouseDeps,
  ) {
    this.warehouseId = warehouseIdOf(config.http_path);
    this.auth = config.token
      ? bearer(config.token)
      : oauth2ClientCredentials({
          tokenUrl: `https://${config.host}/oidc/v1/token`,
          clientId: config.client_id as string,
          clientSecret: config.client_secret as string,
          scope: "all-apis",
          clientAuth: "basic",
        });
    const base = deps.http ?? createHttpClient({ development: deps.development, ...(deps.signal ? { signal: deps.signal } : {}) });
    this.http = base.extend({
      baseUrl: `https://${config.host}`,
      auth: this.auth,
      classifyError: (status, body) => {
        let said: { error_code?: string; message?: string } = {};
        try {
          said = JSON.parse(body) as typeof said;
        } catch {
          return undefined;
        }
        if (status === 404 && said.error_code === "RESOURCE_DOES_NOT_EXIST") {
          return new ConnectorError("configuration", `${said.message ?? "not found"}: check http_path (the SQL warehouse id)`, { status });
        }
        if (status === 401 || status === 403) {
          return new ConnectorError("configuration", `credentials rejected (${said.message ?? `HTTP ${status}`}): check the token or the service principal's client_id/client_secret`, { status });
        }
        return undefined;
      },
    });
  }

  name(canonical: string): string {
    return canonical;
  }

  qualified(table: StagedTable): string {
    const q = this.merge.quote;
    return `${q(this.config.catalog)}.${q(table.schema)}.${q(table.name)}`;
  }

  columnType(type: ColumnType): string {
    return DATABRICKS_TYPES[type];
  }

  sameStorage(a: ColumnType, b: ColumnType): boolean {
    return DATABRICKS_TYPES[a] === DATABRICKS_TYPES[b];
  }

  batchSequence(column: string): string {
    return `CAST(regexp_extract(${column}, '([0-9]+)$', 1) AS BIGINT)`;
  }

  extract(record: string, column: ColumnSpec): string {
    const value = `get_json_object(${record}, '$.${column.name}')`;
    return DATABRICKS_TYPES[column.type] === "STRING" ? value : `CAST(${value} AS ${DATABRICKS_TYPES[column.type]})`;
  }

  testConnection(): AsyncIterable<ConnectionTestStep> {
    const { host, catalog, schema } = this.config;
    return runConnectionChecks(
      [
        {
          step: "network",
          run: async () => {
            try {
              await this.http.extend({ auth: { apply: async () => {}, secretValues: () => [] }, maxAttempts: 1 }).request({ url: "/api/2.0/sql/statements/00000000" });
            } catch (error) {
              if (!(isConnectorError(error) && error.details.status !== undefined)) throw new Error(`Could not reach ${host} (${errorMessage(error)}); check the host`);
            }
            return `Reached ${host}`;
          },
        },
        {
          step: "authentication",
          run: async () => {
            const [row] = await this.statement("SELECT current_user() AS user", {});
            return `Signed in as ${row?.[0]} (${this.config.token ? "personal access token" : "OAuth M2M service principal"}) on SQL warehouse ${this.warehouseId}`;
          },
        },
        {
          step: "authorization",
          run: async () => {
            const rows = await this.statement(`SELECT schema_name FROM ${this.merge.quote(catalog)}.information_schema.schemata WHERE schema_name = {{schema}}`, {
              schema: { type: "string", value: schema },
            });
            if (rows.length === 0) throw new Error(`Schema ${catalog}.${schema} does not exist or is not visible: GRANT USE CATALOG ON CATALOG ${catalog} and USE SCHEMA, CREATE TABLE on the target schemas`);
            return `Catalog ${catalog} and schema ${schema} are usable`;
          },
        },
        {
          step: "query",
          run: async () => {
            const [row] = await this.statement("SELECT 1 AS ok", {});
            if (row?.[0] !== "1") throw new Error("SELECT 1 returned no row");
            return "SELECT 1 succeeded";
          },
        },
      ],
      this.auth.secretValues(),
    );
  }

  async readShape(table: StagedTable): Promise<TableShape | null> {
    const rows = await this.statement(
      `SELECT column_name, data_type, numeric_scale FROM ${this.merge.quote(this.config.catalog)}.information_schema.columns ` +
        "WHERE table_schema = {{schema}} AND table_name = {{table}} ORDER BY ordinal_position",
      { schema: { type: "string", value: table.schema }, table: { type: "string", value: table.name } },
    );
    if (rows.length === 0) return null;
    return rows.map(([name, type, scale]) => ({ name: String(name).toLowerCase(), type: databricksColumnType(String(type), scale === null || scale === undefined ? null : Number(scale)) }));
  }

  async ensureSchema(schema: string): Promise<void> {
    if (this.schemas.has(schema)) return;
    await this.statement(`CREATE SCHEMA IF NOT EXISTS ${this.merge.quote(this.config.catalog)}.${this.merge.quote(schema)}`, {});
    this.schemas.add(schema);
  }

  async createTable(table: StagedTable, shape: TableShape): Promise<void> {
    await this.statement(`CREATE TABLE IF NOT EXISTS ${this.qualified(table)} (${this.definitions(shape)}) USING DELTA`, {});
  }

  async addColumns(table: StagedTable, columns: ColumnSpec[]): Promise<void> {
    await this.statement(`ALTER TABLE ${this.qualified(table)} ADD COLUMNS (${this.definitions(columns)})`, {});
  }

  /** Delta does not change a column's type in place: the table is rewritten as one new version. */
  async widenColumns(table: StagedTable, changes: ColumnChange[], shape: TableShape): Promise<void> {
    const changed = new Map(changes.map((c) => [c.name, c.to]));
    const select = shape.map((column) => {
      const name = this.merge.quote(column.name);
      const to = changed.get(column.name);
      return to ? `CAST(${name} AS ${DATABRICKS_TYPES[to]}) AS ${name}` : name;
    });
    await this.statement(`CREATE OR REPLACE TABLE ${this.qualified(table)} USING DELTA AS SELECT ${select.join(", ")} FROM ${this.qualified(table)}`, {});
  }

  async ensureLoadTable(table: StagedTable): Promise<void> {
    const c = (name: string, type: string) => `${this.merge.quote(name)} ${type}`;
    await this.statement(
      `CREATE TABLE IF NOT EXISTS ${this.qualified(table)} (${[
        c(LOAD_COLUMNS.stageKey, "STRING"),
        c(LOAD_COLUMNS.batchId, "STRING"),
        c(LOAD_COLUMNS.batchOrder, "BIGINT"),
        c(LOAD_COLUMNS.row, "BIGINT"),
        c(LOAD_COLUMNS.runId, "STRING"),
        c(LOAD_COLUMNS.syncedAt, "TIMESTAMP"),
        c(LOAD_COLUMNS.record, "STRING"),
      ].join(", ")}) USING DELTA`,
      {},
    );
  }

  async stage(load: StagedTable, part: StagePart): Promise<void> {
    const q = this.merge.quote;
    const columns = [LOAD_COLUMNS.stageKey, LOAD_COLUMNS.batchId, LOAD_COLUMNS.batchOrder, LOAD_COLUMNS.row, LOAD_COLUMNS.runId, LOAD_COLUMNS.syncedAt, LOAD_COLUMNS.record];
    // Staged once per stage key and part: the API has no request id, so the statement itself is idempotent.
    await this.statement(
      `INSERT INTO ${this.qualified(load)} (${columns.map(q).join(", ")}) ` +
        `SELECT {{key}}, {{batch}}, {{order}}, r.pos + {{first}}, {{run}}, {{synced}}, r.col FROM posexplode(from_json({{rows}}, 'ARRAY<STRING>')) AS r ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${this.qualified(load)} WHERE ${q(LOAD_COLUMNS.stageKey)} = {{key}} AND ${q(LOAD_COLUMNS.row)} = {{first}})`,
      {
        key: { type: "string", value: part.stageKey },
        batch: { type: "string", value: part.batchId },
        order: { type: "integer", value: part.batchOrder },
        first: { type: "integer", value: part.firstRow },
        run: { type: "string", value: part.runId },
        synced: { type: "timestamp", value: part.syncedAt },
        rows: { type: "string", value: JSON.stringify(part.rows) },
      },
    );
  }

  async execute(sql: string, bindings: Bindings): Promise<void> {
    await this.statement(sql, bindings);
  }

  async swap(target: StagedTable, aside: StagedTable): Promise<void> {
    await this.statement(`CREATE OR REPLACE TABLE ${this.qualified(target)} USING DELTA AS SELECT * FROM ${this.qualified(aside)}`, {});
    await this.dropTable(aside);
  }

  async dropTable(table: StagedTable): Promise<void> {
    await this.statement(`DROP TABLE IF EXISTS ${this.qualified(table)}`, {});
  }

  async close(): Promise<void> {}

  private definitions(columns: ColumnSpec[]): string {
    return columns.map((c) => `${this.merge.quote(c.name)} ${DATABRICKS_TYPES[c.type]}`).join(", ");
  }

  /** One statement: submitted with a 30 s wait, then polled while PENDING or RUNNING; the rows of every chunk. */
  private async statement(sql: string, bindings: Bindings): Promise<Array<Array<string | null>>> {
    const { sql: statement, parameters } = named(sql, bindings, "databricks");
    this.deps.onStatement?.(statement, parameters.map((p) => p.value));
    try {
      const done = await pollUntilDone<StatementStatus>({
        submit: () =>
          this.http.getJson<StatementStatus>({
            method: "POST",
            url: "/api/2.0/sql/statements",
            json: {
              statement,
              warehouse_id: this.warehouseId,
              catalog: this.config.catalog,
              parameters: parameters.map((p) => ({ name: p.name, value: p.value, type: p.type })),
              wait_timeout: "30s",
              on_wait_timeout: "CONTINUE",
              disposition: "INLINE",
              format: "JSON_ARRAY",
            },
          }),
        poll: (last) => this.http.getJson<StatementStatus>({ url: `/api/2.0/sql/statements/${last.statement_id}` }),
        done: (s) => !["PENDING", "RUNNING"].includes(s.status.state),
        describe: (s) => `Databricks statement ${s.statement_id} (${s.status.state === "PENDING" ? "waiting for the SQL warehouse to start" : "running"})`,
        cancel: async (s) => {
          await this.http.request({ method: "POST", url: `/api/2.0/sql/statements/${s.statement_id}/cancel` });
        },
        maxWaitMs: STATEMENT_WAIT_MS,
        ...(this.deps.signal ? { signal: this.deps.signal } : {}),
        ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
      });
      if (done.status.state !== "SUCCEEDED") {
        const message = done.status.error?.message ?? `statement ${done.status.state}`;
        const kind = done.status.state === "CANCELED" || done.status.state === "CLOSED" ? "retryable" : CONFIGURATION_CLASSES.test(message) ? "configuration" : "data";
        throw new WarehouseError(kind, `Databricks: ${message}`);
      }
      const rows = [...(done.result?.data_array ?? [])];
      let next = done.result?.next_chunk_index;
      while (next !== undefined) {
        const chunk = await this.http.getJson<{ data_array?: Array<Array<string | null>>; next_chunk_index?: number }>({ url: `/api/2.0/sql/statements/${done.statement_id}/result/chunks/${next}` });
        rows.push(...(chunk.data_array ?? []));
        next = chunk.next_chunk_index;
      }
      return rows;
    } catch (error) {
      throw warehouseErrorFrom(error, { warehouse: "Databricks", secrets: this.auth.secretValues() });
    }
  }
}

export function createDatabricksWarehouse(config: unknown, deps: WarehouseDeps): StagedWarehouse {
  return new StagedWarehouse(new DatabricksDialect(parseWarehouseConfig(databricksSpec, config, deps.development), deps));
}
