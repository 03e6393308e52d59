/**
 * BigQuery over REST v2 (research/warehouses.md §2), with a service-account key (the kit's JWT bearer grant). Every
 * group is staged by a load job (multipart NDJSON upload) whose jobId is derived from the run, stream, batch and the
 * group's content, so a redelivered chunk's load is refused with 409 "Already Exists" and never loads twice (the
 * existing job is polled instead); each chunk is merged by one query job whose jobId is derived the same way. Load
 * jobs are free and atomic; staged rows go to a per-run load table that expires by itself after a week. Datasets and
 * tables are created through the REST resources with schemas from the stream's JSON schema, new fields are added with
 * a table patch, `location` is sent with every job, quota errors are retried with backoff, and accessDenied / notFound
 * are configuration errors that name the grant or object to fix.
 */
import type { AuthProvider } from "../../../connectors/kit/auth";
import { ConnectorError, isConnectorError } from "../../../connectors/kit/errors";
import { googleServiceAccountFromJson } from "../../../connectors/kit/google-service-account";
import type { HttpClient } from "../../../connectors/kit/http";
import { createHttpClient } from "../../../connectors/kit/http";
import { runConnectionChecks } from "../connection-test";
import type { ConnectionTestStep, WarehouseDeps } from "../contract";
import { WarehouseError, errorMessage, warehouseErrorFrom } from "../errors";
import type { ColumnChange, TableShape } from "../load-plan";
import { pollUntilDone } from "../polling";
import { parseWarehouseConfig } from "../specs";
import type { MergeDialect } from "../sql";
import { named } from "../staged/bindings";
import { type Bindings, LOAD_COLUMNS, type StagePart, type StagedDialect, type StagedTable, StagedWarehouse, sha256Hex } from "../staged/staged-warehouse";
import type { ColumnSpec, ColumnType } from "../types";
import { bigquerySpec } from "./spec";

export const BIGQUERY_TYPES: Record<ColumnType, string> = {
  string: "STRING",
  integer: "INT64",
  // BIGNUMERIC keeps 38 digits before the point: integers beyond INT64 and decimals given as text both stay exact.
  big_integer: "BIGNUMERIC",
  decimal: "BIGNUMERIC",
  number: "FLOAT64",
  boolean: "BOOL",
  date: "DATE",
  timestamp: "TIMESTAMP",
  json: "JSON",
};

/** A table schema field's type (legacy or standard spelling) → the loader's type. */
export function bigQueryColumnType(type: string): ColumnType {
  switch (type.toUpperCase()) {
    case "INTEGER":
    case "INT64":
      return "integer";
    case "NUMERIC":
    case "BIGNUMERIC":
      return "decimal";
    case "FLOAT":
    case "FLOAT64":
      return "number";
    case "BOOLEAN":
    case "BOOL":
      return "boolean";
    case "DATE":
      return "date";
    case "TIMESTAMP":
      return "timestamp";
    case "JSON":
      return "json";
    default:
      return "string";
  }
}

const API = "https://bigquery.googleapis.com";
/** Staged rows of a run live a week at most, whatever happens to the run (a safety net; finalize deletes them). */
const LOAD_TABLE_LIFETIME_MS = 7 * 24 * 3600_000;

interface Job {
  jobReference: { projectId: string; jobId: string; location?: string };
  status: { state: "PENDING" | "RUNNING" | "DONE"; errorResult?: { reason: string; message: string } };
}

interface BigQueryConfig {
  project_id: string;
  dataset: string;
  service_account_json: string;
  location?: string;
}

const RETRYABLE_REASONS = new Set(["rateLimitExceeded", "quotaExceeded", "backendError", "internalError", "jobRateLimitExceeded"]);

function reasonOf(body: string): { reason?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string; errors?: Array<{ reason?: string; message?: string }> } };
    return { reason: parsed.error?.errors?.[0]?.reason, message: parsed.error?.message };
  } catch {
    return {};
  }
}

function kindOfReason(reason: string | undefined, message: string, config: BigQueryConfig): ConnectorError | undefined {
  if (!reason) return undefined;
  if (RETRYABLE_REASONS.has(reason)) return new ConnectorError("retryable", `${reason}: ${message}`);
  if (reason === "accessDenied") {
    return new ConnectorError(
      "configuration",
      `access denied (${message}): grant the service account roles/bigquery.jobUser on project ${config.project_id} and roles/bigquery.dataEditor on the target datasets`,
    );
  }
  if (reason === "notFound") return new ConnectorError("configuration", `not found (${message}): check project_id, the dataset and location "${config.location ?? "US"}"`);
  if (reason === "authError") return new ConnectorError("configuration", `credentials rejected: ${message}`);
  if (reason === "duplicate") return undefined;
  return new ConnectorError("data", `${reason}: ${message}`);
}

export class BigQueryDialect implements StagedDialect {
  readonly warehouse = "BigQuery";
  readonly maxIdentifierLength = 300;
  readonly maxStagePayloadBytes = 10_000_000;
  readonly merge: MergeDialect = {
    quote: (name) => `\`${name}\``,
    cursorNotOlder: (newer, older) => `${newer} >= ${older}`,
    keyless: "delete-insert",
  };
  private readonly http: HttpClient;
  private readonly auth: AuthProvider;
  private readonly location: string;
  private readonly datasets = new Set<string>();

  constructor(
    private readonly config: BigQueryConfig,
    private readonly deps: WarehouseDeps,
  ) {
    try {
      this.auth = googleServiceAccountFromJson(config.service_account_json, ["https://www.googleapis.com/auth/bigquery"]);
    } catch (error) {
      throw new WarehouseError("configuration", `BigQuery: ${errorMessage(error)}`);
    }
    this.location = config.location ?? "US";
    const base = deps.http ?? createHttpClient({ development: deps.development, ...(deps.signal ? { signal: deps.signal } : {}) });
    this.http = base.extend({
      baseUrl: API,
      auth: this.auth,
      classifyError: (status, body) => {
        const { reason, message } = reasonOf(body);
        const found = kindOfReason(reason, message ?? `HTTP ${status}`, config);
        return found ? new ConnectorError(found.kind, found.message, { status }) : undefined;
      },
    });
  }

  name(canonical: string): string {
    return canonical;
  }

  qualified(table: StagedTable): string {
    return `\`${this.config.project_id}\`.\`${table.schema}\`.\`${table.name}\``;
  }

  columnType(type: ColumnType): string {
    return BIGQUERY_TYPES[type];
  }

  sameStorage(a: ColumnType, b: ColumnType): boolean {
    return BIGQUERY_TYPES[a] === BIGQUERY_TYPES[b];
  }

  batchSequence(column: string): string {
    return `CAST(REGEXP_EXTRACT(${column}, '[0-9]+$') AS INT64)`;
  }

  extract(record: string, column: ColumnSpec): string {
    const path = `'$.${column.name}'`;
    if (column.type === "json") return `JSON_QUERY(${record}, ${path})`;
    if (column.type === "string") return `JSON_VALUE(${record}, ${path})`;
    return `CAST(JSON_VALUE(${record}, ${path}) AS ${BIGQUERY_TYPES[column.type]})`;
  }

  testConnection(): AsyncIterable<ConnectionTestStep> {
    const p = this.config.project_id;
    const d = this.config.dataset;
    return runConnectionChecks(
      [
        {
          step: "network",
          run: async () => {
            try {
              await this.http.extend({ auth: { apply: async () => {}, secretValues: () => [] }, maxAttempts: 1 }).request({ url: `/bigquery/v2/projects/${p}/datasets/${d}` });
            } catch (error) {
              if (!(isConnectorError(error) && error.details.status !== undefined)) throw new Error(`Could not reach bigquery.googleapis.com (${errorMessage(error)})`);
            }
            return "Reached bigquery.googleapis.com";
          },
        },
        {
          step: "authentication",
          run: async () => {
            await this.auth.apply({ url: new URL(API), headers: new Headers() }, this.http.extend({ auth: { apply: async () => {}, secretValues: () => [] }, classifyError: () => undefined }));
            return `Obtained an access token for ${(JSON.parse(this.config.service_account_json) as { client_email: string }).client_email}`;
          },
        },
        {
          step: "authorization",
          run: async () => {
            const dataset = await this.call<{ location?: string }>({ url: `/bigquery/v2/projects/${p}/datasets/${d}` });
            if (dataset.location && dataset.location.toUpperCase() !== this.location.toUpperCase()) {
              throw new Error(`Dataset ${p}:${d} is in location ${dataset.location}, not ${this.location}: set location to ${dataset.location}`);
            }
            return `Dataset ${p}:${d} is readable (location ${dataset.location ?? this.location})`;
          },
        },
        {
          step: "query",
          run: async () => {
            const answer = await this.call<{ rows?: Array<{ f: Array<{ v: string }> }> }>({
              method: "POST",
              url: `/bigquery/v2/projects/${p}/queries`,
              json: { query: "SELECT 1 AS ok", useLegacySql: false, location: this.location },
            });
            if (answer.rows?.[0]?.f[0]?.v !== "1") throw new Error("SELECT 1 returned no row");
            return "SELECT 1 succeeded (the service account may run query jobs)";
          },
        },
      ],
      this.auth.secretValues(),
    );
  }

  async readShape(table: StagedTable): Promise<TableShape | null> {
    try {
      const resource = await this.call<{ schema?: { fields?: Array<{ name: string; type: string }> } }>({ url: this.tablePath(table) }, true);
      return (resource.schema?.fields ?? []).map((f) => ({ name: f.name.toLowerCase(), type: bigQueryColumnType(f.type) }));
    } catch (error) {
      if (error instanceof WarehouseError && error.details.status === 404) return null;
      throw error;
    }
  }

  async ensureSchema(dataset: string): Promise<void> {
    if (this.datasets.has(dataset)) return;
    const p = this.config.project_id;
    try {
      const found = await this.call<{ location?: string }>({ url: `/bigquery/v2/projects/${p}/datasets/${dataset}` }, true);
      if (found.location && found.location.toUpperCase() !== this.location.toUpperCase()) {
        throw new WarehouseError("configuration", `BigQuery: dataset ${p}:${dataset} is in location ${found.location}, not ${this.location}; set the source's location to ${found.location}`);
      }
    } catch (error) {
      if (!(error instanceof WarehouseError && error.details.status === 404)) throw error;
      await this.created(() => this.call({ method: "POST", url: `/bigquery/v2/projects/${p}/datasets`, json: { datasetReference: { projectId: p, datasetId: dataset }, location: this.location } }));
    }
    this.datasets.add(dataset);
  }

  async createTable(table: StagedTable, shape: TableShape): Promise<void> {
    await this.created(() =>
      this.call({ method: "POST", url: `/bigquery/v2/projects/${this.config.project_id}/datasets/${table.schema}/tables`, json: { tableReference: this.reference(table), schema: { fields: this.fields(shape) } } }),
    );
  }

  /** A table patch with the whole schema plus the new NULLABLE fields (BigQuery only ever adds in a patch). */
  async addColumns(table: StagedTable, _columns: ColumnSpec[], shape: TableShape): Promise<void> {
    await this.call({ method: "PATCH", url: this.tablePath(table), json: { schema: { fields: this.fields(shape) } } });
  }

  async widenColumns(table: StagedTable, changes: ColumnChange[], shape: TableShape): Promise<void> {
    const changed = new Map(changes.map((c) => [c.name, c.to]));
    const select = shape.map((column) => {
      const name = `\`${column.name}\``;
      const to = changed.get(column.name);
      if (!to) return name;
      return `${to === "json" ? `TO_JSON(${name})` : `CAST(${name} AS ${BIGQUERY_TYPES[to]})`} AS ${name}`;
    });
    await this.execute(`CREATE OR REPLACE TABLE ${this.qualified(table)} AS SELECT ${select.join(", ")} FROM ${this.qualified(table)}`, {}, `widen|${crypto.randomUUID()}`);
  }

  async ensureLoadTable(table: StagedTable): Promise<void> {
    const fields = [
      { name: LOAD_COLUMNS.stageKey, type: "STRING" },
      { name: LOAD_COLUMNS.batchId, type: "STRING" },
      { name: LOAD_COLUMNS.batchOrder, type: "INT64" },
      { name: LOAD_COLUMNS.row, type: "INT64" },
      { name: LOAD_COLUMNS.runId, type: "STRING" },
      { name: LOAD_COLUMNS.syncedAt, type: "TIMESTAMP" },
      { name: LOAD_COLUMNS.record, type: "JSON" },
    ].map((f) => ({ ...f, mode: "NULLABLE" }));
    await this.created(() =>
      this.call({
        method: "POST",
        url: `/bigquery/v2/projects/${this.config.project_id}/datasets/${table.schema}/tables`,
        json: { tableReference: this.reference(table), schema: { fields }, expirationTime: String(Date.now() + LOAD_TABLE_LIFETIME_MS) },
      }),
    );
  }

  /** One load job per group part: multipart/related, the job resource then the NDJSON rows. */
  async stage(load: StagedTable, part: StagePart): Promise<void> {
    const jobId = `loaders_load_${(await sha256Hex(`stage|${this.qualified(load)}|${part.stageKey}|${part.part}`)).slice(0, 40)}`;
    const head = (row: number) =>
      `{"${LOAD_COLUMNS.stageKey}":${JSON.stringify(part.stageKey)},"${LOAD_COLUMNS.batchId}":${JSON.stringify(part.batchId)},` +
      `"${LOAD_COLUMNS.batchOrder}":${part.batchOrder},"${LOAD_COLUMNS.row}":${row},"${LOAD_COLUMNS.runId}":${JSON.stringify(part.runId)},` +
      `"${LOAD_COLUMNS.syncedAt}":${JSON.stringify(part.syncedAt)},"${LOAD_COLUMNS.record}":`;
    const ndjson = part.rows.map((row, i) => `${head(part.firstRow + i)}${row}}`).join("\n");
    const resource = (id: string) => ({
      jobReference: { projectId: this.config.project_id, jobId: id, location: this.location },
      configuration: {
        load: {
          sourceFormat: "NEWLINE_DELIMITED_JSON",
          destinationTable: this.reference(load),
          writeDisposition: "WRITE_APPEND",
          createDisposition: "CREATE_NEVER",
        },
      },
    });
    const boundary = `loaders_${crypto.randomUUID().replace(/-/g, "")}`;
    const body = (id: string) =>
      `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(resource(id))}\r\n` +
      `--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n${ndjson}\r\n--${boundary}--\r\n`;
    this.deps.onStatement?.(`load job ${jobId}`, [part.rows.length]);
    await this.runJob(jobId, (id) =>
      this.http.request({
        method: "POST",
        url: `/upload/bigquery/v2/projects/${this.config.project_id}/jobs`,
        query: { uploadType: "multipart" },
        headers: { "content-type": `multipart/related; boundary=${boundary}` },
        body: body(id),
        expect: "json",
      }),
    );
  }

  /** A query job under a jobId derived from `idKey`: a re-submission is refused with 409 and the first job polled. */
  async execute(sql: string, bindings: Bindings, idKey: string): Promise<void> {
    const { sql: query, parameters } = named(sql, bindings, "bigquery");
    const jobId = `loaders_query_${(await sha256Hex(idKey)).slice(0, 40)}`;
    this.deps.onStatement?.(query, parameters.map((p) => p.values ?? p.value));
    const queryParameters = parameters.map((p) =>
      p.values
        ? { name: p.name, parameterType: { type: "ARRAY", arrayType: { type: "STRING" } }, parameterValue: { arrayValues: p.values.map((value) => ({ value })) } }
        : { name: p.name, parameterType: { type: p.type }, parameterValue: { value: p.value } },
    );
    await this.runJob(jobId, (id) =>
      this.http.request({
        method: "POST",
        url: `/bigquery/v2/projects/${this.config.project_id}/jobs`,
        json: {
          jobReference: { projectId: this.config.project_id, jobId: id, location: this.location },
          configuration: { query: { query, useLegacySql: false, parameterMode: "NAMED", queryParameters } },
        },
        expect: "json",
      }),
    );
  }

  /** A copy job with WRITE_TRUNCATE replaces the target's rows and schema in one atomic step. */
  async swap(target: StagedTable, aside: StagedTable, _shape: TableShape, runKey: string): Promise<void> {
    const jobId = `loaders_swap_${(await sha256Hex(`swap|${runKey}|${this.qualified(aside)}`)).slice(0, 40)}`;
    await this.runJob(jobId, (id) =>
      this.http.request({
        method: "POST",
        url: `/bigquery/v2/projects/${this.config.project_id}/jobs`,
        json: {
          jobReference: { projectId: this.config.project_id, jobId: id, location: this.location },
          configuration: { copy: { sourceTables: [this.reference(aside)], destinationTable: this.reference(target), writeDisposition: "WRITE_TRUNCATE", createDisposition: "CREATE_IF_NEEDED" } },
        },
        expect: "json",
      }),
    );
    await this.dropTable(aside);
  }

  async dropTable(table: StagedTable): Promise<void> {
    try {
      await this.call({ method: "DELETE", url: this.tablePath(table) }, true);
    } catch (error) {
      if (!(error instanceof WarehouseError && error.details.status === 404)) throw error;
    }
  }

  async close(): Promise<void> {}

  private reference(table: StagedTable) {
    return { projectId: this.config.project_id, datasetId: table.schema, tableId: table.name };
  }

  private tablePath(table: StagedTable): string {
    return `/bigquery/v2/projects/${this.config.project_id}/datasets/${table.schema}/tables/${table.name}`;
  }

  private fields(shape: TableShape) {
    return shape.map((c) => ({ name: c.name, type: BIGQUERY_TYPES[c.type], mode: "NULLABLE" }));
  }

  /** A REST call; `expectMissing` keeps a 404 as a WarehouseError with its status (the caller handles it). */
  private async call<T = unknown>(req: Parameters<HttpClient["request"]>[0], expectMissing = false): Promise<T> {
    try {
      const res = await this.http.request({ ...req, ...(req.method === "DELETE" ? {} : { expect: "json" as const }) });
      return (res.status === 204 || req.method === "DELETE" ? null : res.json<T>()) as T;
    } catch (error) {
      const status = isConnectorError(error) ? error.details.status : undefined;
      if (expectMissing && status === 404) throw new WarehouseError("configuration", "BigQuery: not found", { status });
      throw warehouseErrorFrom(error, { warehouse: "BigQuery", secrets: this.auth.secretValues() });
    }
  }

  /** Creation that may find the resource already there (409 duplicate): a concurrent chunk or an earlier attempt. */
  private async created(create: () => Promise<unknown>): Promise<void> {
    try {
      await create();
    } catch (error) {
      if (!(error instanceof WarehouseError && error.details.status === 409)) throw error;
    }
  }

  /**
   * Inserts a job (409: it exists, from an earlier attempt: that one is polled) and waits until it is DONE. A job that
   * ended in a quota or backend error cannot be inserted again under its id, so the next try takes the id's next
   * suffix; a redelivery walks the same suffixes and finds the job that succeeded.
   */
  private async runJob(baseId: string, insert: (jobId: string) => Promise<{ json<T>(): T }>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const jobId = attempt === 0 ? baseId : `${baseId}_r${attempt}`;
      const poll = async () => this.call<Job>({ url: `/bigquery/v2/projects/${this.config.project_id}/jobs/${jobId}`, query: { location: this.location } });
      let done: Job;
      try {
        done = await pollUntilDone<Job>({
          submit: async () => {
            try {
              return (await insert(jobId)).json<Job>();
            } catch (error) {
              if (isConnectorError(error) && error.details.status === 409) return poll();
              throw error;
            }
          },
          poll,
          done: (job) => job.status.state === "DONE",
          describe: () => `BigQuery job ${jobId}`,
          ...(this.deps.signal ? { signal: this.deps.signal } : {}),
          ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
        });
      } catch (error) {
        throw warehouseErrorFrom(error, { warehouse: "BigQuery", secrets: this.auth.secretValues() });
      }
      const failure = done.status.errorResult;
      if (!failure) return;
      const classified = kindOfReason(failure.reason, failure.message, this.config) ?? new ConnectorError("data", `${failure.reason}: ${failure.message}`);
      if (classified.kind === "retryable" && attempt < 4) {
        await (this.deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(500 * 2 ** attempt);
        continue;
      }
      throw new WarehouseError(classified.kind, `BigQuery job ${jobId}: ${classified.message}`);
    }
  }
}

export function createBigQueryWarehouse(config: unknown, deps: WarehouseDeps): StagedWarehouse {
  return new StagedWarehouse(new BigQueryDialect(parseWarehouseConfig(bigquerySpec, config, deps.development), deps));
}
