/**
 * Snowflake over the SQL API v2 (research/warehouses.md §1): every statement is `POST /api/v2/statements` with
 * `requestId` + `retry=true` (the id derived from what the statement does, so a resubmission after a lost answer or a
 * redelivered chunk is answered from the first execution and never runs twice), bound values, 202 answers polled on
 * their statementStatusUrl, and results read partition by partition. Identifiers are upper case (Snowflake folds
 * unquoted names to upper case, so users query them unquoted); nested values are VARIANT; staged records arrive as
 * one bound JSON array per statement (≤ ~900 KB, under the SQL API's 1 MB statement guidance), exploded with
 * `TABLE(FLATTEN(INPUT => PARSE_JSON(?)))` (`PARSE_JSON` inside VALUES is refused by Snowflake).
 */
import { ConnectorError, isConnectorError } from "../../../connectors/kit/errors";
import type { HttpClient } from "../../../connectors/kit/http";
import { createHttpClient } from "../../../connectors/kit/http";
import { runConnectionChecks } from "../connection-test";
import type { ConnectionTestStep, WarehouseDeps } from "../contract";
import { WarehouseError, errorMessage, warehouseErrorFrom } from "../errors";
import { pollUntilDone } from "../polling";
import { parseWarehouseConfig } from "../specs";
import type { MergeDialect } from "../sql";
import { positional } from "../staged/bindings";
import { type Bindings, LOAD_COLUMNS, type StagePart, type StagedDialect, type StagedTable, StagedWarehouse, uuidFrom } from "../staged/staged-warehouse";
import type { ColumnChange, TableShape } from "../load-plan";
import type { ColumnSpec, ColumnType } from "../types";
import type { AuthProvider } from "../../../connectors/kit/auth";
import { snowflakeAccountName, snowflakeKeyPair, snowflakeOAuth } from "./auth";
import { snowflakeSpec } from "./spec";

export const SNOWFLAKE_TYPES: Record<ColumnType, string> = {
  string: "VARCHAR",
  integer: "NUMBER(38,0)",
  big_integer: "NUMBER(38,0)",
  decimal: "NUMBER(38,9)",
  number: "FLOAT",
  boolean: "BOOLEAN",
  date: "DATE",
  timestamp: "TIMESTAMP_TZ",
  json: "VARIANT",
};

/** INFORMATION_SCHEMA.COLUMNS.DATA_TYPE (+ NUMERIC_SCALE) → the loader's type; a type it did not create reads as text. */
export function snowflakeColumnType(dataType: string, scale: number | null): ColumnType {
  switch (dataType.toUpperCase()) {
    case "NUMBER":
    case "FIXED":
      return scale ? "decimal" : "integer";
    case "FLOAT":
    case "REAL":
      return "number";
    case "BOOLEAN":
      return "boolean";
    case "DATE":
      return "date";
    case "TIMESTAMP_TZ":
    case "TIMESTAMP_LTZ":
    case "TIMESTAMP_NTZ":
      return "timestamp";
    case "VARIANT":
    case "OBJECT":
    case "ARRAY":
      return "json";
    default:
      return "string";
  }
}

/** Snowflake's 1 MB guidance counts the statement with its bindings; the staged JSON stays well under it. */
const MAX_STAGE_PAYLOAD_BYTES = 900_000;

interface ResultSet {
  statementHandle?: string;
  statementStatusUrl?: string;
  code?: string;
  message?: string;
  data?: Array<Array<string | null>>;
  resultSetMetaData?: { partitionInfo?: unknown[]; rowType?: Array<{ name: string }> };
}

/** Object names as Snowflake stores them: one-case names fold to upper case; a mixed-case name was created quoted. */
function objectName(name: string): string {
  return name === name.toLowerCase() || name === name.toUpperCase() ? name.toUpperCase() : name;
}

export class SnowflakeDialect implements StagedDialect {
  readonly warehouse = "Snowflake";
  readonly maxIdentifierLength = 255;
  readonly maxStagePayloadBytes = MAX_STAGE_PAYLOAD_BYTES;
  readonly merge: MergeDialect = {
    quote: (name) => `"${name.replace(/"/g, '""')}"`,
    // Without a collation Snowflake compares text by its UTF-8 bytes, as the other warehouses and JavaScript do.
    cursorNotOlder: (newer, older) => `${newer} >= ${older}`,
    keyless: "delete-insert",
  };
  private readonly http: HttpClient;
  private readonly auth: AuthProvider;
  /** How the authentication step names the credential ("the key pair whose public key fingerprint is …"). */
  private readonly credential: () => Promise<string>;
  private readonly database: string;
  private readonly schemas = new Set<string>();

  constructor(
    private readonly config: SnowflakeConfig,
    private readonly deps: WarehouseDeps,
  ) {
    if (config.auth.type === "oauth") {
      const { client_id } = config.auth;
      this.auth = snowflakeOAuth({ account: config.account, clientId: client_id, clientSecret: config.auth.client_secret, refreshToken: config.auth.refresh_token });
      this.credential = async () => `an OAuth access token of security integration client ${client_id}`;
    } else {
      const keyPair = snowflakeKeyPair({ account: config.account, user: config.username, privateKey: config.auth.private_key });
      this.auth = keyPair;
      this.credential = async () => `the key pair whose public key fingerprint is ${await keyPair.fingerprint()}`;
    }
    this.database = objectName(config.database);
    const base = deps.http ?? createHttpClient({ development: deps.development, ...(deps.signal ? { signal: deps.signal } : {}) });
    this.http = base.extend({
      baseUrl: `https://${config.account.trim().toLowerCase()}.snowflakecomputing.com`,
      auth: this.auth,
      defaultHeaders: { accept: "application/json", "user-agent": "Loaders/1.0 (+https://github.com/loaders)" },
      classifyError: (status, body) => classifySnowflake(status, body, config),
    });
  }

  name(canonical: string): string {
    return canonical.toUpperCase();
  }

  qualified(table: StagedTable): string {
    const q = this.merge.quote;
    return `${q(this.database)}.${q(table.schema)}.${q(table.name)}`;
  }

  columnType(type: ColumnType): string {
    return SNOWFLAKE_TYPES[type];
  }

  sameStorage(a: ColumnType, b: ColumnType): boolean {
    return SNOWFLAKE_TYPES[a] === SNOWFLAKE_TYPES[b];
  }

  batchSequence(column: string): string {
    return `TO_NUMBER(REGEXP_SUBSTR(${column}, '[0-9]+$'))`;
  }

  extract(record: string, column: ColumnSpec): string {
    const path = `${record}:"${column.name}"`;
    return column.type === "json" ? path : `${path}::${SNOWFLAKE_TYPES[column.type]}`;
  }

  testConnection(): AsyncIterable<ConnectionTestStep> {
    const host = `${this.config.account.trim().toLowerCase()}.snowflakecomputing.com`;
    return runConnectionChecks(
      [
        {
          step: "network",
          run: async () => {
            try {
              await this.http.extend({ auth: { apply: async () => {}, secretValues: () => [] }, maxAttempts: 1 }).request({ method: "GET", url: "/api/v2/statements/00000000-0000-0000-0000-000000000000" });
            } catch (error) {
              if (!(isConnectorError(error) && error.details.status !== undefined)) {
                throw new Error(`Could not reach ${host} (${errorMessage(error)}); check the account identifier and the network`);
              }
            }
            return `Reached ${host}`;
          },
        },
        {
          step: "authentication",
          run: async () => {
            const user = (await this.query("SELECT CURRENT_USER() AS U"))[0]?.[0];
            return `Signed in as ${user} with ${await this.credential()}`;
          },
        },
        {
          step: "authorization",
          run: async () => {
            const [row] = await this.query("SELECT CURRENT_ROLE() AS R, CURRENT_WAREHOUSE() AS W, CURRENT_DATABASE() AS D");
            const [role, warehouse, database] = row ?? [];
            if (!warehouse) throw new Error(`Warehouse ${objectName(this.config.warehouse)} is not usable by role ${role}: GRANT USAGE ON WAREHOUSE ${objectName(this.config.warehouse)} TO ROLE ${role}`);
            if (!database) throw new Error(`Database ${this.database} is not usable by role ${role}: GRANT USAGE ON DATABASE ${this.database} TO ROLE ${role}`);
            return `Role ${role} may use warehouse ${warehouse} and database ${database}`;
          },
        },
        {
          step: "query",
          run: async () => {
            const [row] = await this.query("SELECT 1 AS OK");
            if (row?.[0] !== "1") throw new Error("SELECT 1 returned no row");
            return "SELECT 1 succeeded";
          },
        },
      ],
      this.auth.secretValues(),
    );
  }

  async readShape(table: StagedTable): Promise<TableShape | null> {
    const rows = await this.query(
      `SELECT "COLUMN_NAME", "DATA_TYPE", "NUMERIC_SCALE" FROM ${this.merge.quote(this.database)}.INFORMATION_SCHEMA.COLUMNS ` +
        `WHERE "TABLE_SCHEMA" = {{schema}} AND "TABLE_NAME" = {{table}} ORDER BY "ORDINAL_POSITION"`,
      { schema: { type: "string", value: table.schema }, table: { type: "string", value: table.name } },
    );
    if (rows.length === 0) return null;
    return rows.map(([name, type, scale]) => ({ name: String(name).toLowerCase(), type: snowflakeColumnType(String(type), scale === null || scale === undefined ? null : Number(scale)) }));
  }

  async ensureSchema(schema: string): Promise<void> {
    if (this.schemas.has(schema)) return;
    await this.run(`CREATE SCHEMA IF NOT EXISTS ${this.merge.quote(this.database)}.${this.merge.quote(schema)}`, {});
    this.schemas.add(schema);
  }

  async createTable(table: StagedTable, shape: TableShape): Promise<void> {
    await this.run(`CREATE TABLE IF NOT EXISTS ${this.qualified(table)} (${this.definitions(shape)})`, {});
  }

  async addColumns(table: StagedTable, columns: ColumnSpec[]): Promise<void> {
    await this.run(`ALTER TABLE ${this.qualified(table)} ADD COLUMN IF NOT EXISTS ${this.definitions(columns)}`, {});
  }

  /** Snowflake changes a column's type in place only within its kind; other widenings rebuild the table, grants kept. */
  async widenColumns(table: StagedTable, changes: ColumnChange[], shape: TableShape): Promise<void> {
    const changed = new Map(changes.map((c) => [c.name, c.to]));
    const q = this.merge.quote;
    const select = shape.map((column) => {
      const name = q(this.name(column.name));
      const to = changed.get(column.name);
      if (!to) return name;
      const converted = to === "string" ? `TO_VARCHAR(${name})` : to === "json" ? `TO_VARIANT(${name})` : to === "number" ? `TO_DOUBLE(${name})` : `${name}::${SNOWFLAKE_TYPES[to]}`;
      return `${converted} AS ${name}`;
    });
    await this.run(`CREATE OR REPLACE TABLE ${this.qualified(table)} COPY GRANTS AS SELECT ${select.join(", ")} FROM ${this.qualified(table)}`, {});
  }

  async ensureLoadTable(table: StagedTable): Promise<void> {
    const c = (name: string, type: string) => `${this.merge.quote(this.name(name))} ${type}`;
    // TRANSIENT: no Fail-safe storage is billed for rows that live one run.
    await this.run(
      `CREATE TRANSIENT TABLE IF NOT EXISTS ${this.qualified(table)} (${[
        c(LOAD_COLUMNS.stageKey, "VARCHAR"),
        c(LOAD_COLUMNS.batchId, "VARCHAR"),
        c(LOAD_COLUMNS.batchOrder, "NUMBER(38,0)"),
        c(LOAD_COLUMNS.row, "NUMBER(38,0)"),
        c(LOAD_COLUMNS.runId, "VARCHAR"),
        c(LOAD_COLUMNS.syncedAt, "TIMESTAMP_TZ"),
        c(LOAD_COLUMNS.record, "VARIANT"),
      ].join(", ")})`,
      {},
    );
  }

  async stage(load: StagedTable, part: StagePart): Promise<void> {
    const q = (name: string) => this.merge.quote(this.name(name));
    const columns = [LOAD_COLUMNS.stageKey, LOAD_COLUMNS.batchId, LOAD_COLUMNS.batchOrder, LOAD_COLUMNS.row, LOAD_COLUMNS.runId, LOAD_COLUMNS.syncedAt, LOAD_COLUMNS.record];
    await this.run(
      `INSERT INTO ${this.qualified(load)} (${columns.map(q).join(", ")}) ` +
        `SELECT {{key}}, {{batch}}, {{order}}, f.INDEX + {{first}}, {{run}}, {{synced}}::TIMESTAMP_TZ, f.VALUE ` +
        `FROM TABLE(FLATTEN(INPUT => PARSE_JSON({{rows}}))) f`,
      {
        key: { type: "string", value: part.stageKey },
        batch: { type: "string", value: part.batchId },
        order: { type: "integer", value: part.batchOrder },
        first: { type: "integer", value: part.firstRow },
        run: { type: "string", value: part.runId },
        synced: { type: "timestamp", value: part.syncedAt },
        rows: { type: "string", value: `[${part.rows.join(",")}]` },
      },
      `stage|${this.qualified(load)}|${part.stageKey}|${part.part}`,
    );
  }

  async execute(sql: string, bindings: Bindings, idKey: string): Promise<void> {
    await this.run(sql, bindings, idKey);
  }

  async swap(target: StagedTable, aside: StagedTable, _shape: TableShape, runKey: string): Promise<void> {
    if ((await this.readShape(target)) === null) {
      await this.run(`ALTER TABLE ${this.qualified(aside)} RENAME TO ${this.qualified(target)}`, {}, `rename|${runKey}|${this.qualified(aside)}`);
      return;
    }
    // One statement swaps both names atomically; its requestId makes a redelivered finalize a replay, not a swap back.
    await this.run(`ALTER TABLE ${this.qualified(target)} SWAP WITH ${this.qualified(aside)}`, {}, `swap|${runKey}|${this.qualified(aside)}`);
    await this.dropTable(aside);
  }

  async dropTable(table: StagedTable): Promise<void> {
    await this.run(`DROP TABLE IF EXISTS ${this.qualified(table)}`, {});
  }

  async close(): Promise<void> {}

  private definitions(columns: ColumnSpec[]): string {
    return columns.map((c) => `${this.merge.quote(this.name(c.name))} ${SNOWFLAKE_TYPES[c.type]}`).join(", ");
  }

  private async query(sql: string, bindings: Bindings = {}): Promise<Array<Array<string | null>>> {
    return this.run(sql, bindings);
  }

  /** One statement: submitted under its requestId (retry=true: a resubmission is answered, not rerun), polled while 202. */
  private async run(sql: string, bindings: Bindings, idKey?: string): Promise<Array<Array<string | null>>> {
    const requestId = idKey ? await uuidFrom(idKey) : crypto.randomUUID();
    const { sql: statement, bindings: bound } = positional(sql, bindings);
    this.deps.onStatement?.(statement, Object.values(bound).map((b) => b.value));
    const body = {
      statement,
      timeout: 3600,
      database: this.database,
      schema: objectName(this.config.schema),
      warehouse: objectName(this.config.warehouse),
      ...(this.config.role ? { role: objectName(this.config.role) } : {}),
      ...(Object.keys(bound).length ? { bindings: bound } : {}),
    };
    try {
      const done = await pollUntilDone<{ status: number; body: ResultSet }>({
        submit: async () => {
          const res = await this.http.request({ method: "POST", url: "/api/v2/statements", query: { requestId, retry: true }, json: body, expect: "json" });
          return { status: res.status, body: res.json<ResultSet>() };
        },
        poll: async (last) => {
          const res = await this.http.request({ method: "GET", url: last.body.statementStatusUrl ?? `/api/v2/statements/${last.body.statementHandle}`, expect: "json" });
          return { status: res.status, body: res.json<ResultSet>() };
        },
        done: (s) => s.status !== 202,
        describe: (s) => `Snowflake statement ${s.body.statementHandle ?? ""}`.trim(),
        cancel: async (s) => {
          if (s.body.statementHandle) await this.http.request({ method: "POST", url: `/api/v2/statements/${s.body.statementHandle}/cancel` });
        },
        ...(this.deps.signal ? { signal: this.deps.signal } : {}),
        ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
      });
      const data = [...(done.body.data ?? [])];
      const partitions = done.body.resultSetMetaData?.partitionInfo?.length ?? 1;
      for (let partition = 1; partition < partitions; partition++) {
        const res = await this.http.getJson<ResultSet>({ url: `/api/v2/statements/${done.body.statementHandle}`, query: { partition } });
        data.push(...(res.data ?? []));
      }
      return data;
    } catch (error) {
      throw warehouseErrorFrom(error, { warehouse: "Snowflake", secrets: this.auth.secretValues() });
    }
  }
}

/** Snowflake's error codes (https://docs.snowflake.com/en/developer-guide/sql-api/handling-errors) as kinds. */
const CONFIGURATION_CODES: Record<string, string> = {
  "002003": "an object does not exist or the role may not see it",
  "003001": "the role lacks a privilege",
  "390201": "the database, schema or warehouse does not exist or the role may not use it",
  "390189": "the role is not granted to the user",
  "000606": "no usable warehouse",
  "002043": "the object does not exist or the role may not see it",
};

function classifySnowflake(status: number, body: string, config: SnowflakeConfig): ConnectorError | undefined {
  let parsed: { code?: string; message?: string; sqlState?: string } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return undefined;
  }
  const code = parsed.code ?? "";
  const said = `${parsed.message ?? `HTTP ${status}`}${code ? ` [${code}]` : ""}`;
  if (status === 401 && config.auth.type === "oauth") {
    return new ConnectorError(
      "configuration",
      `the OAuth access token was refused (${said}): check that client_id "${config.auth.client_id}" belongs to an enabled OAuth security integration of account "${config.account}" ` +
        `and that the refresh token was issued to user "${config.username}" by it`,
      { status },
    );
  }
  if (status === 401) {
    return new ConnectorError(
      "configuration",
      `the key-pair JWT was refused (${said}): check account "${config.account}" (signed as ${snowflakeAccountName(config.account)}) and username "${config.username}", ` +
        `and that the user's RSA_PUBLIC_KEY is the public half of private_key (ALTER USER ${config.username.toUpperCase()} SET RSA_PUBLIC_KEY = '…')`,
      { status },
    );
  }
  if (status === 422 || status === 400) {
    const hint = CONFIGURATION_CODES[code];
    if (hint) return new ConnectorError("configuration", `${hint}: ${said}`, { status });
    if (code === "000630" || code === "000604") return new ConnectorError("retryable", said, { status });
    return new ConnectorError("data", said, { status });
  }
  return undefined;
}

/** The parsed config with its credential as one choice: the spec's checks guarantee the fields of the chosen type. */
interface SnowflakeConfig {
  account: string;
  warehouse: string;
  database: string;
  schema: string;
  username: string;
  role?: string | undefined;
  auth: { type: "key_pair"; private_key: string } | { type: "oauth"; client_id: string; client_secret: string; refresh_token: string };
}

export function createSnowflakeWarehouse(config: unknown, deps: WarehouseDeps): StagedWarehouse {
  const parsed = parseWarehouseConfig(snowflakeSpec, config, deps.development);
  const { account, warehouse, database, schema, username, role } = parsed;
  let auth: SnowflakeConfig["auth"];
  if (parsed.auth_type === "oauth") {
    if (!parsed.client_id || !parsed.client_secret || !parsed.refresh_token) throw new WarehouseError("configuration", "Snowflake: client_id, client_secret and refresh_token are required with auth_type oauth");
    auth = { type: "oauth", client_id: parsed.client_id, client_secret: parsed.client_secret, refresh_token: parsed.refresh_token };
  } else {
    if (!parsed.private_key) throw new WarehouseError("configuration", "Snowflake: private_key is required");
    auth = { type: "key_pair", private_key: parsed.private_key };
  }
  return new StagedWarehouse(new SnowflakeDialect({ account, warehouse, database, schema, username, role, auth }, deps));
}
