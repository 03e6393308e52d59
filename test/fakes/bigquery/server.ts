/**
 * A fake of the BigQuery REST API v2 on node:http, backed by DuckDB (README.md has the contract). Access tokens are
 * Google's one token fake's (../google-oauth/issuer.ts, shared with the Google connectors' APIs when the test run
 * passes its issuer; a standalone fake serves the token endpoint from an issuer of its own): datasets and tables with locations, table patches that may only add NULLABLE fields, load jobs
 * uploaded as multipart NDJSON, query jobs and jobs.query (MERGE included), copy jobs, caller-chosen job ids refused
 * with 409 "Already Exists" on reuse, job states that advance over polls, injectable quota errors.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { RunningFake } from "../index";
import { DuckTenant, duckQuote } from "../shared/duckdb";
import { listen, lowercaseHeaders, stop } from "../shared/http";
import { GoogleTokenIssuer } from "../google-oauth/issuer";
import { BigQuerySqlError, type QueryParameter, bigQueryType, duckType, translate } from "./sql";

interface ServiceAccount {
  email: string;
  publicKeyPem: string;
  /** project → role; a viewer may read but not create, load, or run DML. */
  projects: Record<string, "editor" | "viewer">;
}

interface Field {
  name: string;
  type: string;
  mode?: string;
  description?: string;
}

interface Job {
  id: string;
  projectId: string;
  location: string;
  kind: "load" | "query" | "copy";
  configuration: Record<string, any>;
  user: string;
  creationTime: number;
  pollsLeft: number;
  error: { reason: string; message: string } | null;
  statistics: Record<string, unknown>;
  result: { fields: Field[]; rows: unknown[][]; types: string[] } | null;
}

export interface LoggedCall {
  at: number;
  method: string;
  path: string;
  /** `datasets.insert`, `tables.patch`, `jobs.insert(load)`, `jobs.query`, `jobs.get`, `token`, … */
  call: string;
  status: number;
  jobId?: string;
  /** The service account the call authenticated as. */
  principal?: string;
  /** For load uploads: bytes of the NDJSON part. */
  bytes?: number;
  query?: string;
}

interface Faults {
  rateLimit: number;
  quota: number;
  /** Jobs answer PENDING, then RUNNING, for this many job GETs before DONE. */
  jobPolls: number;
}

/** The API's host; the token hosts (oauth2.googleapis.com, www.googleapis.com) are the Google fake's. */
export const BIGQUERY_HOSTS = ["bigquery.googleapis.com"];

/** Scopes that let a token call BigQuery (https://developers.google.com/identity/protocols/oauth2/scopes#bigquery). */
const BIGQUERY_SCOPES = ["https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform"];

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status);
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", "Content-Length": String(Buffer.byteLength(text)) });
  response.end(text);
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status: string,
  ) {
    super(message);
  }
  body() {
    return { error: { code: this.code, message: this.message, errors: [{ message: this.message, domain: "global", reason: this.reason }], status: this.status } };
  }
}

const notFound = (what: string) => new ApiError(404, "notFound", `Not found: ${what}`, "NOT_FOUND");
const duplicate = (what: string) => new ApiError(409, "duplicate", `Already Exists: ${what}`, "ALREADY_EXISTS");
const invalid = (message: string) => new ApiError(400, "invalid", message, "INVALID_ARGUMENT");
const denied = (message: string) => new ApiError(403, "accessDenied", `Access Denied: ${message}`, "PERMISSION_DENIED");

async function readBuffer(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `issuer`: the test run's Google token fake, so BigQuery accepts the tokens it issues; without one (the benchmark, the
 * client proof) the fake holds its own and answers the token endpoint's paths itself.
 */
export async function startBigQueryFake(port = 0, issuer?: GoogleTokenIssuer): Promise<RunningFake> {
  const duck = await DuckTenant.create();
  const tokens = issuer ?? new GoogleTokenIssuer();
  const accounts = new Map<string, ServiceAccount>();
  const datasets = new Map<string, { location: string; creationTime: number }>();
  const tableMeta = new Map<string, { expirationTime?: string; creationTime: number }>();
  const jobs = new Map<string, Job>();
  const queryRequests = new Map<string, string>();
  const log: LoggedCall[] = [];
  let faults: Faults = { rateLimit: 0, quota: 0, jobPolls: 0 };

  const datasetKey = (p: string, d: string) => `${p}.${d}`;

  const authenticate = (request: IncomingMessage, entry: LoggedCall): ServiceAccount => {
    const principal = tokens.principal(lowercaseHeaders(request).authorization);
    if (!principal) {
      throw new ApiError(401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "UNAUTHENTICATED");
    }
    if (!principal.scopes.some((scope) => BIGQUERY_SCOPES.includes(scope))) {
      throw new ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.", "PERMISSION_DENIED");
    }
    const account = accounts.get(principal.id);
    if (!account) throw denied(`User ${principal.id} has no role in any project of this fake.`);
    entry.principal = account.email;
    return account;
  };

  const authorize = (account: ServiceAccount, project: string, write: boolean, permission: string) => {
    const role = account.projects[project];
    if (!role || (write && role !== "editor")) {
      throw denied(`Project ${project}: User does not have ${permission} permission in project ${project}.`);
    }
  };

  const requireDataset = (p: string, d: string) => {
    const found = datasets.get(datasetKey(p, d));
    if (!found) throw notFound(`Dataset ${p}:${d}`);
    return found;
  };

  const tableFields = async (p: string, d: string, t: string): Promise<Field[] | null> => {
    const result = await duck.run(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = $1 AND table_schema = $2 AND table_name = $3 ORDER BY ordinal_position",
      [p, d, t],
    );
    if (result.rows.length === 0) return null;
    return result.rows.map(([name, type]) => ({ name: String(name), type: bigQueryType(String(type)), mode: "NULLABLE" }));
  };

  const tableResource = async (p: string, d: string, t: string) => {
    const fields = await tableFields(p, d, t);
    if (!fields) throw notFound(`Table ${p}:${d}.${t}`);
    const count = await duck.run(`SELECT count(*) FROM ${qualified(p, d, t)}`);
    const meta = tableMeta.get(`${p}.${d}.${t}`);
    return {
      kind: "bigquery#table",
      id: `${p}:${d}.${t}`,
      tableReference: { projectId: p, datasetId: d, tableId: t },
      schema: { fields },
      numRows: String(count.rows[0]?.[0] ?? "0"),
      type: "TABLE",
      location: datasets.get(datasetKey(p, d))?.location,
      creationTime: String(meta?.creationTime ?? Date.now()),
      ...(meta?.expirationTime ? { expirationTime: meta.expirationTime } : {}),
    };
  };

  const createTable = async (p: string, d: string, t: string, fields: Field[], expirationTime?: string) => {
    const columns = fields.map((f) => {
      const type = duckType(f.type);
      if (!type) throw invalid(`Invalid field type ${f.type} for field ${f.name} (not modelled by the fake)`);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw invalid(`Invalid field name "${f.name}".`);
      return `${duckQuote(f.name)} ${type}`;
    });
    if (columns.length === 0) throw invalid("Schema has no fields.");
    await duck.run(`CREATE TABLE ${qualified(p, d, t)} (${columns.join(", ")})`);
    tableMeta.set(`${p}.${d}.${t}`, { creationTime: Date.now(), ...(expirationTime ? { expirationTime } : {}) });
  };

  const jobResource = (job: Job, advance: boolean) => {
    let state = "DONE";
    if (job.pollsLeft > 0) {
      state = job.pollsLeft > 1 ? "PENDING" : "RUNNING";
      if (advance) job.pollsLeft -= 1;
    }
    return {
      kind: "bigquery#job",
      id: `${job.projectId}:${job.location}.${job.id}`,
      jobReference: { projectId: job.projectId, jobId: job.id, location: job.location },
      configuration: { jobType: job.kind.toUpperCase(), ...job.configuration },
      status: state === "DONE" && job.error ? { state, errorResult: { ...job.error, location: "" }, errors: [job.error] } : { state },
      statistics: { creationTime: String(job.creationTime), ...(state === "DONE" ? { startTime: String(job.creationTime), endTime: String(Date.now()), ...job.statistics } : {}) },
      user_email: job.user,
    };
  };

  /** Runs a job at insertion (its outcome is fixed then); its visible state advances over GETs. */
  const runJob = async (job: Job, data: Buffer | null) => {
    try {
      if (job.kind === "load") await runLoad(job, data);
      else if (job.kind === "copy") await runCopy(job);
      else await runQuery(job);
    } catch (error) {
      if (error instanceof ApiError) job.error = { reason: error.reason, message: error.message };
      else if (error instanceof BigQuerySqlError) job.error = { reason: error.reason, message: error.message };
      else job.error = { reason: "invalidQuery", message: (error as Error).message };
    }
  };

  const checkLocation = (job: Job, p: string, d: string) => {
    const ds = datasets.get(datasetKey(p, d));
    if (!ds) throw notFound(`Dataset ${p}:${d}`);
    if (ds.location !== job.location) throw notFound(`Dataset ${p}:${d} was not found in location ${job.location}`);
  };

  const runLoad = async (job: Job, data: Buffer | null) => {
    const load = job.configuration.load as Record<string, any>;
    if (!data) throw invalid("The fake loads only uploaded data (uploadType=multipart), not sourceUris");
    if (load.sourceFormat !== "NEWLINE_DELIMITED_JSON") throw invalid(`The fake loads only NEWLINE_DELIMITED_JSON, not ${load.sourceFormat}`);
    const { projectId: p, datasetId: d, tableId: t } = load.destinationTable ?? {};
    checkLocation(job, p, d);
    let fields = await tableFields(p, d, t);
    if (!fields) {
      if (load.createDisposition === "CREATE_NEVER") throw notFound(`Table ${p}:${d}.${t}`);
      if (!load.schema?.fields?.length) throw invalid("No schema specified on job or table.");
      await createTable(p, d, t, load.schema.fields as Field[]);
      fields = await tableFields(p, d, t);
    } else if (load.schema?.fields) {
      const known = new Set(fields.map((f) => f.name.toLowerCase()));
      const added = (load.schema.fields as Field[]).filter((f) => !known.has(f.name.toLowerCase()));
      if (added.length > 0) {
        if (!(load.schemaUpdateOptions ?? []).includes("ALLOW_FIELD_ADDITION")) {
          throw invalid(`Provided Schema does not match Table ${p}:${d}.${t}. Cannot add fields (field: ${added[0]!.name})`);
        }
        for (const f of added) await duck.run(`ALTER TABLE ${qualified(p, d, t)} ADD COLUMN ${duckQuote(f.name)} ${duckType(f.type)}`);
        fields = await tableFields(p, d, t);
      }
    }
    const columns = fields as Field[];
    const names = new Map(columns.map((f) => [f.name.toLowerCase(), f]));
    const lines = data.toString("utf8").split("\n").filter((line) => line.trim() !== "");
    const rows: unknown[] = [];
    for (const [index, line] of lines.entries()) {
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw invalid(`Error while reading data, error message: JSON table encountered too many errors, giving up. Rows: ${index + 1}; errors: 1. Please look into the errors[] collection for more details.`);
      }
      for (const key of Object.keys(row)) {
        if (!names.has(key.toLowerCase()) && !load.ignoreUnknownValues) {
          throw invalid(`Error while reading data, error message: JSON parsing error in row starting at position 0: No such field: ${key}.`);
        }
      }
      rows.push(row);
    }
    const select = columns
      .map((f) => {
        const path = `'$.${f.name}'`;
        return f.type === "JSON" ? `json_extract(value, ${path})` : `CAST(json_extract_string(value, ${path}) AS ${duckType(f.type)})`;
      })
      .join(", ");
    const insert = `INSERT INTO ${qualified(p, d, t)} (${columns.map((f) => duckQuote(f.name)).join(", ")}) SELECT ${select} FROM json_each($1::JSON)`;
    const statements = [];
    const disposition = load.writeDisposition ?? "WRITE_APPEND";
    if (disposition === "WRITE_TRUNCATE") statements.push({ sql: `DELETE FROM ${qualified(p, d, t)}`, params: [] });
    if (disposition === "WRITE_EMPTY") {
      const count = await duck.run(`SELECT count(*) FROM ${qualified(p, d, t)}`);
      if (Number(count.rows[0]?.[0]) > 0) throw duplicate(`Table ${p}:${d}.${t} already contains data`);
    }
    statements.push({ sql: insert, params: [JSON.stringify(rows)] });
    try {
      await duck.transaction(statements);
    } catch (error) {
      throw invalid(`Error while reading data, error message: ${(error as Error).message}`);
    }
    job.statistics = { load: { outputRows: String(rows.length), inputFileBytes: String(data.length), inputFiles: "1", badRecords: "0" } };
  };

  const runCopy = async (job: Job) => {
    const copy = job.configuration.copy as Record<string, any>;
    const sources = (copy.sourceTables ?? (copy.sourceTable ? [copy.sourceTable] : [])) as Array<Record<string, string>>;
    if (sources.length !== 1) throw invalid("The fake copies exactly one source table");
    const src = sources[0]!;
    const dst = copy.destinationTable as Record<string, string>;
    checkLocation(job, src.projectId!, src.datasetId!);
    checkLocation(job, dst.projectId!, dst.datasetId!);
    if (!(await tableFields(src.projectId!, src.datasetId!, src.tableId!))) throw notFound(`Table ${src.projectId}:${src.datasetId}.${src.tableId}`);
    const exists = (await tableFields(dst.projectId!, dst.datasetId!, dst.tableId!)) !== null;
    const disposition = copy.writeDisposition ?? "WRITE_EMPTY";
    const from = qualified(src.projectId!, src.datasetId!, src.tableId!);
    const to = qualified(dst.projectId!, dst.datasetId!, dst.tableId!);
    if (exists && disposition === "WRITE_EMPTY") throw duplicate(`Table ${dst.projectId}:${dst.datasetId}.${dst.tableId}`);
    if (disposition === "WRITE_APPEND" && exists) await duck.run(`INSERT INTO ${to} SELECT * FROM ${from}`);
    else await duck.transaction([{ sql: `DROP TABLE IF EXISTS ${to}` }, { sql: `CREATE TABLE ${to} AS SELECT * FROM ${from}` }]);
    tableMeta.set(`${dst.projectId}.${dst.datasetId}.${dst.tableId}`, { creationTime: Date.now() });
    job.statistics = { copy: { copiedRows: String((await duck.run(`SELECT count(*) FROM ${to}`)).rows[0]?.[0] ?? 0) } };
  };

  const runQuery = async (job: Job) => {
    const query = job.configuration.query as Record<string, any>;
    if (query.useLegacySql !== false) throw invalid("The fake runs GoogleSQL only: set useLegacySql to false");
    if (query.destinationTable) throw invalid("The fake does not write query results to a destination table");
    const translated = translate(String(query.query ?? ""), (query.queryParameters ?? []) as QueryParameter[], job.projectId);
    for (const name of translated.tables) {
      const [p, d] = name.split(".") as [string, string];
      checkLocation(job, p, d);
    }
    const account = accounts.get(job.user) as ServiceAccount;
    for (const name of translated.tables) {
      authorize(account, name.split(".")[0] as string, translated.statementType !== "SELECT", "bigquery.tables.updateData");
    }
    let result;
    try {
      result = await duck.run(translated.sql, translated.params);
    } catch (error) {
      const message = (error as Error).message;
      if (/does not exist/i.test(message)) throw new ApiError(404, "notFound", `Not found: ${message.split("\n")[0]}`, "NOT_FOUND");
      throw new ApiError(400, "invalidQuery", message.split("\n")[0] as string, "INVALID_ARGUMENT");
    }
    if (translated.statementType === "CREATE_TABLE" || translated.statementType === "CREATE_TABLE_AS_SELECT") {
      const [p, d, t] = translated.tables[0]!.split(".") as [string, string, string];
      tableMeta.set(`${p}.${d}.${t}`, { creationTime: Date.now() });
    }
    const dml = ["INSERT", "MERGE", "DELETE"].includes(translated.statementType);
    job.statistics = {
      query: { statementType: translated.statementType, ...(dml ? { numDmlAffectedRows: String(result.rowsChanged) } : {}), totalBytesProcessed: "0" },
    };
    job.result =
      translated.statementType === "SELECT"
        ? { fields: result.columns.map((name, i) => ({ name, type: bigQueryType(result.types[i] as string), mode: "NULLABLE" })), rows: result.rows, types: result.types }
        : null;
    if (dml) job.statistics.numDmlAffectedRows = String(result.rowsChanged);
  };

  const insertJob = async (account: ServiceAccount, project: string, resource: Record<string, any>, data: Buffer | null, entry: LoggedCall): Promise<Job> => {
    const configuration = (resource.configuration ?? {}) as Record<string, any>;
    const kind = configuration.load ? "load" : configuration.copy ? "copy" : configuration.query ? "query" : null;
    if (!kind) throw invalid("Job configuration must contain load, copy or query (the fake models no others)");
    entry.call = `jobs.insert(${kind})`;
    authorize(account, project, kind !== "query", "bigquery.jobs.create");
    const jobId = String(resource.jobReference?.jobId ?? `job_${randomBytes(12).toString("base64url")}`);
    entry.jobId = jobId;
    if (!/^[A-Za-z0-9_-]{1,1024}$/.test(jobId)) throw invalid(`Invalid job ID "${jobId}". Job IDs must be alphanumeric (plus underscores and dashes) and must be at most 1024 characters long.`);
    if (faults.rateLimit > 0) {
      faults.rateLimit -= 1;
      throw new ApiError(403, "rateLimitExceeded", "Exceeded rate limits: too many table update operations for this table. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas", "PERMISSION_DENIED");
    }
    if (faults.quota > 0) {
      faults.quota -= 1;
      throw new ApiError(403, "quotaExceeded", "Quota exceeded: Your table exceeded quota for imports or query appends per table. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas", "PERMISSION_DENIED");
    }
    const key = `${project}:${jobId}`;
    const location = String(resource.jobReference?.location ?? inferLocation(configuration) ?? "US");
    if (jobs.has(key)) throw duplicate(`Job ${project}:${location}.${jobId}`);
    const job: Job = {
      id: jobId,
      projectId: project,
      location,
      kind,
      configuration,
      user: account.email,
      creationTime: Date.now(),
      pollsLeft: faults.jobPolls,
      error: null,
      statistics: {},
      result: null,
    };
    jobs.set(key, job);
    await runJob(job, data);
    return job;
  };

  const inferLocation = (configuration: Record<string, any>): string | undefined => {
    const table = configuration.load?.destinationTable ?? configuration.copy?.destinationTable;
    return table ? datasets.get(datasetKey(table.projectId, table.datasetId))?.location : undefined;
  };

  const findJob = (project: string, jobId: string, location: string | null): Job => {
    const job = jobs.get(`${project}:${jobId}`);
    if (!job || (location && location !== job.location)) throw notFound(`Job ${project}:${location ?? "US"}.${jobId}`);
    return job;
  };

  const queryResponse = (job: Job, url: URL) => {
    const resource = jobResource(job, true);
    const done = resource.status.state === "DONE";
    if (done && job.error) throw new ApiError(400, job.error.reason, job.error.message, "INVALID_ARGUMENT");
    const micros = url.searchParams.get("formatOptions.useInt64Timestamp") === "true";
    const rows = job.result?.rows ?? [];
    const start = Number(url.searchParams.get("startIndex") ?? url.searchParams.get("pageToken") ?? 0);
    const max = Number(url.searchParams.get("maxResults") ?? 10000);
    const page = rows.slice(start, start + max);
    return {
      kind: "bigquery#getQueryResultsResponse",
      jobReference: resource.jobReference,
      jobComplete: done,
      ...(done
        ? {
            schema: { fields: job.result?.fields ?? [] },
            totalRows: String(rows.length),
            rows: page.map((row) => ({ f: row.map((v, i) => ({ v: cell(v, job.result!.types[i] as string, micros) })) })),
            ...(start + max < rows.length ? { pageToken: String(start + max) } : {}),
            ...(job.statistics.numDmlAffectedRows !== undefined ? { numDmlAffectedRows: job.statistics.numDmlAffectedRows } : {}),
          }
        : {}),
    };
  };

  const api = async (request: IncomingMessage, url: URL, response: ServerResponse, entry: LoggedCall) => {
    const method = request.method ?? "GET";
    const path = url.pathname.replace(/^\/upload/, "");
    const m = /^\/bigquery\/v2\/projects\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) throw new ApiError(404, "notFound", `Not found: ${url.pathname}`, "NOT_FOUND");
    const project = decodeURIComponent(m[1]!);
    const rest = m[2] ?? "";
    const account = authenticate(request, entry);
    const body = await readBuffer(request);
    const json = () => (body.length ? (JSON.parse(body.toString("utf8")) as Record<string, any>) : {});
    let r: RegExpExecArray | null;

    if (rest === "/datasets" && method === "POST") {
      entry.call = "datasets.insert";
      authorize(account, project, true, "bigquery.datasets.create");
      const resource = json();
      const d = String(resource.datasetReference?.datasetId ?? "");
      if (!/^[A-Za-z0-9_]{1,1024}$/.test(d)) throw invalid(`Invalid dataset ID "${d}".`);
      if (datasets.has(datasetKey(project, d))) throw duplicate(`Dataset ${project}:${d}`);
      const location = String(resource.location ?? "US");
      await duck.ensureCatalog(project);
      await duck.run(`CREATE SCHEMA ${qualified(project, d)}`);
      datasets.set(datasetKey(project, d), { location, creationTime: Date.now() });
      return send(response, (entry.status = 200), { kind: "bigquery#dataset", id: `${project}:${d}`, datasetReference: { projectId: project, datasetId: d }, location });
    }
    if ((r = /^\/datasets\/([^/]+)$/.exec(rest)) && method === "GET") {
      entry.call = "datasets.get";
      authorize(account, project, false, "bigquery.datasets.get");
      const d = decodeURIComponent(r[1]!);
      const ds = requireDataset(project, d);
      return send(response, (entry.status = 200), { kind: "bigquery#dataset", id: `${project}:${d}`, datasetReference: { projectId: project, datasetId: d }, location: ds.location });
    }
    if ((r = /^\/datasets\/([^/]+)\/tables$/.exec(rest)) && method === "POST") {
      entry.call = "tables.insert";
      authorize(account, project, true, "bigquery.tables.create");
      const d = decodeURIComponent(r[1]!);
      requireDataset(project, d);
      const resource = json();
      const t = String(resource.tableReference?.tableId ?? "");
      if (!/^[A-Za-z0-9_]{1,1024}$/.test(t)) throw invalid(`Invalid table ID "${t}".`);
      if (await tableFields(project, d, t)) throw duplicate(`Table ${project}:${d}.${t}`);
      await createTable(project, d, t, (resource.schema?.fields ?? []) as Field[], resource.expirationTime);
      return send(response, (entry.status = 200), await tableResource(project, d, t));
    }
    if ((r = /^\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(rest))) {
      const d = decodeURIComponent(r[1]!);
      const t = decodeURIComponent(r[2]!);
      if (method === "GET") {
        entry.call = "tables.get";
        authorize(account, project, false, "bigquery.tables.get");
        requireDataset(project, d);
        return send(response, (entry.status = 200), await tableResource(project, d, t));
      }
      if (method === "DELETE") {
        entry.call = "tables.delete";
        authorize(account, project, true, "bigquery.tables.delete");
        requireDataset(project, d);
        if (!(await tableFields(project, d, t))) throw notFound(`Table ${project}:${d}.${t}`);
        await duck.run(`DROP TABLE ${qualified(project, d, t)}`);
        entry.status = 204;
        return send(response, 204);
      }
      if (method === "PATCH" || method === "PUT") {
        entry.call = "tables.patch";
        authorize(account, project, true, "bigquery.tables.update");
        requireDataset(project, d);
        const current = await tableFields(project, d, t);
        if (!current) throw notFound(`Table ${project}:${d}.${t}`);
        const wanted = (json().schema?.fields ?? null) as Field[] | null;
        if (wanted) {
          const byName = new Map(wanted.map((f) => [f.name.toLowerCase(), f]));
          for (const field of current) {
            const next = byName.get(field.name.toLowerCase());
            if (!next) throw invalid(`Provided Schema does not match Table ${project}:${d}.${t}. Field ${field.name} is missing in new schema`);
            if (normalType(next.type) !== normalType(field.type)) {
              throw invalid(`Provided Schema does not match Table ${project}:${d}.${t}. Field ${field.name} has changed type from ${field.type} to ${next.type}`);
            }
          }
          const known = new Set(current.map((f) => f.name.toLowerCase()));
          for (const field of wanted.filter((f) => !known.has(f.name.toLowerCase()))) {
            if ((field.mode ?? "NULLABLE") === "REQUIRED") throw invalid(`Provided Schema does not match Table ${project}:${d}.${t}. Cannot add required fields to an existing schema. (field: ${field.name})`);
            const type = duckType(field.type);
            if (!type) throw invalid(`Invalid field type ${field.type}`);
            await duck.run(`ALTER TABLE ${qualified(project, d, t)} ADD COLUMN ${duckQuote(field.name)} ${type}`);
          }
        }
        return send(response, (entry.status = 200), await tableResource(project, d, t));
      }
    }
    if (rest === "/jobs" && method === "POST") {
      let resource: Record<string, any>;
      let data: Buffer | null = null;
      if (url.pathname.startsWith("/upload/")) {
        if (url.searchParams.get("uploadType") !== "multipart") throw invalid("The fake accepts uploadType=multipart uploads only");
        const parts = multipart(body, lowercaseHeaders(request)["content-type"] ?? "");
        if (parts.length !== 2) throw invalid("A multipart upload has exactly two parts: the job resource and the data");
        resource = JSON.parse(parts[0]!.toString("utf8")) as Record<string, any>;
        data = parts[1]!;
        entry.bytes = data.length;
      } else resource = json();
      const job = await insertJob(account, project, resource, data, entry);
      return send(response, (entry.status = 200), jobResource(job, false));
    }
    if ((r = /^\/jobs\/([^/]+)$/.exec(rest)) && method === "GET") {
      entry.call = "jobs.get";
      const job = findJob(project, decodeURIComponent(r[1]!), url.searchParams.get("location"));
      entry.jobId = job.id;
      return send(response, (entry.status = 200), jobResource(job, true));
    }
    if ((r = /^\/jobs\/([^/]+)\/cancel$/.exec(rest)) && method === "POST") {
      entry.call = "jobs.cancel";
      const job = findJob(project, decodeURIComponent(r[1]!), url.searchParams.get("location"));
      return send(response, (entry.status = 200), { kind: "bigquery#jobCancelResponse", job: jobResource(job, false) });
    }
    if (rest === "/queries" && method === "POST") {
      entry.call = "jobs.query";
      const request = json();
      entry.query = String(request.query ?? "");
      const known = request.requestId ? queryRequests.get(String(request.requestId)) : undefined;
      let job: Job;
      if (known) job = findJob(project, known, null);
      else {
        const jobId = `job_${randomBytes(12).toString("base64url")}`;
        const configuration = { query: { query: request.query, useLegacySql: request.useLegacySql ?? true, queryParameters: request.queryParameters, parameterMode: request.parameterMode } };
        job = await insertJob(account, project, { jobReference: { jobId, location: request.location }, configuration }, null, entry);
        entry.call = "jobs.query";
        if (request.requestId) queryRequests.set(String(request.requestId), jobId);
      }
      const answer = queryResponse(job, url);
      return send(response, (entry.status = 200), { ...answer, kind: "bigquery#queryResponse" });
    }
    if ((r = /^\/queries\/([^/]+)$/.exec(rest)) && method === "GET") {
      entry.call = "jobs.getQueryResults";
      const job = findJob(project, decodeURIComponent(r[1]!), url.searchParams.get("location"));
      entry.jobId = job.id;
      return send(response, (entry.status = 200), queryResponse(job, url));
    }
    throw new ApiError(404, "notFound", `Not found: ${method} ${url.pathname}`, "NOT_FOUND");
  };

  const control = async (request: IncomingMessage, url: URL, response: ServerResponse) => {
    const action = url.pathname.slice("/_control/".length);
    const body = request.method === "GET" ? {} : (JSON.parse((await readBuffer(request)).toString("utf8") || "{}") as Record<string, any>);
    switch (`${request.method} ${action}`) {
      case "POST service-accounts":
        accounts.set(body.client_email, { email: body.client_email, publicKeyPem: body.public_key_pem, projects: body.projects ?? {} });
        tokens.addServiceAccount(body.client_email, body.public_key_pem);
        for (const project of Object.keys(body.projects ?? {})) await duck.ensureCatalog(project);
        return send(response, 201, { client_email: body.client_email });
      case "POST faults":
        faults = { rateLimit: body.rate_limit ?? 0, quota: body.quota ?? 0, jobPolls: body.job_polls ?? 0 };
        return send(response, 200, faults);
      case "GET requests":
        return send(response, 200, log);
      case "GET jobs":
        return send(response, 200, [...jobs.values()].map((job) => ({ ...jobResource(job, false), configuration: job.configuration })));
      case "POST query":
        try {
          const result = await duck.run(String(body.sql), body.params ?? []);
          return send(response, 200, { columns: result.columns, types: result.types, rows: result.rows });
        } catch (error) {
          return send(response, 400, { error: (error as Error).message });
        }
      default:
        return send(response, 404, { error: `unknown control action ${request.method} ${action}` });
    }
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const entry: LoggedCall = { at: Date.now(), method: request.method ?? "GET", path: url.pathname, call: "unknown", status: 0 };
    const route = async () => {
      if (url.pathname.startsWith("/_control/")) return control(request, url, response);
      log.push(entry);
      if (!issuer && request.method === "POST" && (url.pathname === "/token" || url.pathname === "/oauth2/v4/token")) {
        entry.call = "token";
        const answer = tokens.grant(new URLSearchParams((await readBuffer(request)).toString("utf8")));
        entry.status = answer.status;
        return send(response, answer.status, answer.body);
      }
      return api(request, url, response, entry);
    };
    route().catch((error) => {
      const failure = error instanceof ApiError ? error : error instanceof BigQuerySqlError ? new ApiError(400, error.reason, error.message, "INVALID_ARGUMENT") : new ApiError(500, "internalError", (error as Error).message, "INTERNAL");
      entry.status = failure.code;
      if (!response.headersSent) send(response, failure.code, failure.body());
    });
  });
  const bound = await listen(server, port);
  return {
    name: "bigquery",
    port: bound,
    // Alone, it is also Google's token endpoint on both of its hosts.
    hosts: issuer ? BIGQUERY_HOSTS : [...BIGQUERY_HOSTS, "oauth2.googleapis.com", "www.googleapis.com"],
    close: async () => {
      await stop(server);
      await duck.close();
    },
  };
}

function qualified(...parts: string[]): string {
  return parts.map(duckQuote).join(".");
}

function normalType(type: string): string {
  const t = type.toUpperCase();
  return ({ INT64: "INTEGER", FLOAT64: "FLOAT", BOOL: "BOOLEAN" } as Record<string, string>)[t] ?? t;
}

/** The parts of a multipart/related body (RFC 2387), headers stripped. */
function multipart(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\/related/i.test(contentType) || !boundary) throw invalid("Content-Type must be multipart/related with a boundary");
  const text = body.toString("latin1");
  const delimiter = `--${boundary}`;
  return text
    .split(delimiter)
    .slice(1)
    .filter((part) => !part.startsWith("--"))
    .map((part) => {
      const start = part.indexOf("\r\n\r\n");
      const content = part.slice(start + 4).replace(/\r\n$/, "");
      return Buffer.from(content, "latin1");
    });
}

/** A cell as the REST API sends it: strings; TIMESTAMP as epoch seconds (or microseconds with useInt64Timestamp). */
function cell(value: unknown, duck: string, micros: boolean): string | null {
  if (value === null || value === undefined) return null;
  if (duck === "TIMESTAMP WITH TIME ZONE") {
    const ms = Date.parse(String(value).replace(" ", "T").replace(/\+00$/, "Z"));
    return micros ? String(ms * 1000) : (ms / 1000).toExponential().replace("e+", "E");
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}
