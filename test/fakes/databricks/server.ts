/**
 * A fake of the Databricks SQL Statement Execution API (`/api/2.0/sql/statements`) and the workspace OAuth token
 * endpoint (`/oidc/v1/token`, M2M client credentials) on node:http, backed by DuckDB (README.md has the contract).
 * Statements carry named parameters; `wait_timeout` decides whether the answer is the result or a PENDING/RUNNING
 * status to poll; a stopped warehouse keeps statements PENDING while it starts; SQL errors are HTTP 200 with
 * `status.state = FAILED`, request errors are 4xx `{error_code, message}`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { RunningFake } from "../index";
import { type DuckResult, DuckTenant, duckQuote } from "../shared/duckdb";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";
import { DatabricksSqlError, type StatementParameter, translate } from "./sql";

interface Warehouse {
  id: string;
  /** Status observations (submissions and GETs) a stopped warehouse needs before it runs statements. */
  startingPolls: number;
}

interface Statement {
  id: string;
  warehouse: Warehouse;
  pollsLeft: number;
  outcome: { state: "SUCCEEDED" | "FAILED"; error?: { error_code: string; message: string }; columns: Array<{ name: string; type: string }>; rows: unknown[][] } | null;
  run: () => Promise<Statement["outcome"]>;
  canceled: boolean;
}

interface Workspace {
  name: string;
  duck: DuckTenant;
  tokens: Map<string, { principal: string; readOnly: boolean; expiresAt: number }>;
  clients: Map<string, string>;
  warehouses: Map<string, Warehouse>;
  statements: Map<string, Statement>;
  log: LoggedCall[];
  faults: { rate429: number; runningPolls: number; chunkRows: number };
}

export interface LoggedCall {
  at: number;
  method: string;
  path: string;
  call: "token" | "statements.execute" | "statements.get" | "statements.chunk" | "statements.cancel" | "unknown";
  status: number;
  statement?: string;
  parameters?: StatementParameter[];
  wait_timeout?: string;
  state?: string;
  bytes?: number;
  principal?: string;
}

export const DATABRICKS_TEST_HOST = "dbc-loaders-test.cloud.databricks.com";

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

export async function startDatabricksFake(port = 0): Promise<RunningFake> {
  const workspaces = new Map<string, Workspace>();

  /** Workspaces being created: concurrent first requests for one host share one creation, never two DuckDBs. */
  const creating = new Map<string, Promise<Workspace>>();
  const workspace = (name: string): Promise<Workspace> => {
    let found = creating.get(name);
    if (!found) {
      found = DuckTenant.create().then((duck) => {
        const created: Workspace = {
          name,
          duck,
          tokens: new Map(),
          clients: new Map(),
          warehouses: new Map(),
          statements: new Map(),
          log: [],
          faults: { rate429: 0, runningPolls: 0, chunkRows: 1000 },
        };
        // No `main` catalog: DuckDB reserves the name, so tests create their catalogs (README.md).
        workspaces.set(name, created);
        return created;
      });
      creating.set(name, found);
    }
    return found;
  };

  const workspaceOf = (request: IncomingMessage): Promise<Workspace> => {
    const headers = lowercaseHeaders(request);
    const host = (headers["x-forwarded-host"] ?? headers.host ?? "").split(":")[0]!.toLowerCase();
    return workspace(host.endsWith(".databricks.com") ? host : DATABRICKS_TEST_HOST);
  };

  const tokenEndpoint = async (ws: Workspace, request: IncomingMessage, response: ServerResponse, entry: LoggedCall) => {
    const form = new URLSearchParams(await readBody(request));
    const basic = /^Basic (.+)$/.exec(lowercaseHeaders(request).authorization ?? "")?.[1];
    const [id, secret] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":") : [form.get("client_id"), form.get("client_secret")];
    if (!id || ws.clients.get(id) !== secret) {
      entry.status = 401;
      return send(response, 401, { error: "invalid_client", error_description: "Client authentication failed" });
    }
    if (form.get("grant_type") !== "client_credentials") {
      entry.status = 400;
      return send(response, 400, { error: "unsupported_grant_type", error_description: "grant_type must be client_credentials" });
    }
    if (form.get("scope") !== "all-apis") {
      entry.status = 400;
      return send(response, 400, { error: "invalid_scope", error_description: "scope must be all-apis" });
    }
    const token = `eyJfake.${randomBytes(24).toString("base64url")}`;
    ws.tokens.set(token, { principal: id, readOnly: false, expiresAt: Date.now() + 3600_000 });
    entry.status = 200;
    entry.principal = id;
    send(response, 200, { access_token: token, token_type: "Bearer", expires_in: 3600, scope: "all-apis" });
  };

  const authenticate = (ws: Workspace, request: IncomingMessage) => {
    const token = /^Bearer (.+)$/.exec(lowercaseHeaders(request).authorization ?? "")?.[1];
    const known = token ? ws.tokens.get(token) : undefined;
    if (!known || known.expiresAt < Date.now()) return null;
    return known;
  };

  const statementBody = (ws: Workspace, statement: Statement) => {
    const starting = statement.warehouse.startingPolls > 0;
    if (statement.canceled) return { statement_id: statement.id, status: { state: "CANCELED" } };
    if (starting || statement.pollsLeft > 0 || !statement.outcome) {
      if (!starting && statement.pollsLeft > 0) statement.pollsLeft -= 1;
      return { statement_id: statement.id, status: { state: starting ? "PENDING" : "RUNNING" } };
    }
    const outcome = statement.outcome;
    if (outcome.state === "FAILED") {
      return { statement_id: statement.id, status: { state: "FAILED", error: outcome.error, sql_state: (outcome.error as any).sql_state } };
    }
    const size = Math.max(1, ws.faults.chunkRows);
    const chunks = [];
    for (let i = 0; i < Math.max(1, outcome.rows.length); i += size) chunks.push({ chunk_index: chunks.length, row_offset: i, row_count: Math.min(size, outcome.rows.length - i) });
    return {
      statement_id: statement.id,
      status: { state: "SUCCEEDED" },
      manifest: {
        format: "JSON_ARRAY",
        schema: { column_count: outcome.columns.length, columns: outcome.columns.map((c, i) => ({ name: c.name, type_text: c.type, type_name: c.type.replace(/\(.*$/, ""), position: i })) },
        total_chunk_count: chunks.length,
        chunks,
        total_row_count: outcome.rows.length,
        truncated: false,
      },
      result: chunkBody(outcome, 0, size),
    };
  };

  const chunkBody = (outcome: NonNullable<Statement["outcome"]>, index: number, size: number) => {
    const rows = outcome.rows.slice(index * size, index * size + size);
    const more = (index + 1) * size < outcome.rows.length;
    return { chunk_index: index, row_offset: index * size, row_count: rows.length, data_array: rows, ...(more ? { next_chunk_index: index + 1, next_chunk_internal_link: `/api/2.0/sql/statements/_/result/chunks/${index + 1}` } : {}) };
  };

  /** One status observation: a starting warehouse comes up, then a running statement finishes. */
  const observe = async (statement: Statement) => {
    if (statement.warehouse.startingPolls > 0) {
      statement.warehouse.startingPolls -= 1;
      if (statement.warehouse.startingPolls > 0) return;
    }
    if (!statement.outcome) statement.outcome = await statement.run();
  };

  const execute = async (ws: Workspace, principal: { principal: string; readOnly: boolean }, request: IncomingMessage, response: ServerResponse, entry: LoggedCall) => {
    const raw = await readBody(request);
    entry.bytes = Buffer.byteLength(raw);
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw) as Record<string, any>;
    } catch {
      return send(response, (entry.status = 400), { error_code: "MALFORMED_REQUEST", message: "Could not parse request object" });
    }
    entry.statement = body.statement;
    entry.parameters = body.parameters;
    entry.wait_timeout = body.wait_timeout;
    if (ws.faults.rate429 > 0) {
      ws.faults.rate429 -= 1;
      return send(response, (entry.status = 429), { error_code: "TOO_MANY_REQUESTS", message: "Too many requests. Please wait a moment and try again." }, { "Retry-After": "1" });
    }
    if (typeof body.statement !== "string" || body.statement.length === 0) {
      return send(response, (entry.status = 400), { error_code: "INVALID_PARAMETER_VALUE", message: "statement is required" });
    }
    if (Buffer.byteLength(body.statement) > 16 * 1024 * 1024) {
      return send(response, (entry.status = 400), { error_code: "INVALID_PARAMETER_VALUE", message: "statement is larger than 16 MiB" });
    }
    const wait = String(body.wait_timeout ?? "10s");
    const seconds = /^(\d+)s$/.exec(wait)?.[1];
    if (seconds === undefined || (Number(seconds) !== 0 && (Number(seconds) < 5 || Number(seconds) > 50))) {
      return send(response, (entry.status = 400), { error_code: "INVALID_PARAMETER_VALUE", message: `wait_timeout must be 0s or between 5s and 50s, got ${wait}` });
    }
    if (body.disposition && body.disposition !== "INLINE") {
      return send(response, (entry.status = 400), { error_code: "INVALID_PARAMETER_VALUE", message: "The fake answers INLINE results only" });
    }
    if (body.format && body.format !== "JSON_ARRAY") {
      return send(response, (entry.status = 400), { error_code: "INVALID_PARAMETER_VALUE", message: "The fake answers JSON_ARRAY results only" });
    }
    const warehouse = ws.warehouses.get(String(body.warehouse_id));
    if (!warehouse) {
      return send(response, (entry.status = 404), { error_code: "RESOURCE_DOES_NOT_EXIST", message: `No SQL warehouse with id ${body.warehouse_id}` });
    }
    const catalog = typeof body.catalog === "string" ? body.catalog : null;
    const statement: Statement = {
      id: `01ef${randomUUID().slice(4)}`,
      warehouse,
      pollsLeft: ws.faults.runningPolls,
      outcome: null,
      canceled: false,
      run: async () => {
        try {
          if (catalog !== null && !ws.duck.hasCatalog(catalog)) {
            throw new DatabricksSqlError("NO_SUCH_CATALOG_EXCEPTION", "42704", `Catalog '${catalog}' was not found.`);
          }
          const translated = translate(body.statement, (body.parameters ?? []) as StatementParameter[], { user: principal.principal, catalog, schema: body.schema ?? null });
          if (principal.readOnly && translated.kind !== "query") {
            throw new DatabricksSqlError("INSUFFICIENT_PERMISSIONS", "42501", "Insufficient privileges: User does not have MODIFY on Table or CREATE TABLE on Schema.");
          }
          const schema = typeof body.schema === "string" ? body.schema : null;
          // The request's catalog and schema name unqualified tables, as a session's USE would.
          const results = await ws.duck.exclusive(async (exec) => {
            if (catalog !== null) await exec(`USE ${duckQuote(catalog)}${schema && (await schemaExists(exec, catalog, schema)) ? `.${duckQuote(schema)}` : ""}`);
            if (translated.extra.length === 0) return [await exec(translated.sql, translated.params)];
            await exec("BEGIN TRANSACTION");
            try {
              const out = [await exec(translated.sql, translated.params)];
              for (const sql of translated.extra) out.push(await exec(sql));
              await exec("COMMIT");
              return out;
            } catch (error) {
              await exec("ROLLBACK").catch(() => undefined);
              throw error;
            }
          });
          const result = results[0]!;
          if (translated.kind !== "query") {
            return { state: "SUCCEEDED" as const, columns: [{ name: "num_affected_rows", type: "BIGINT" }], rows: [[String(results.reduce((n, r) => n + r.rowsChanged, 0))]] };
          }
          return {
            state: "SUCCEEDED" as const,
            columns: result.columns.map((name, i) => ({ name, type: databricksType(result.types[i] as string) })),
            rows: result.rows.map((row) => row.map((v) => (v === null ? null : typeof v === "string" ? v : JSON.stringify(v)))),
          };
        } catch (error) {
          if (error instanceof DatabricksSqlError) return { state: "FAILED" as const, error: { error_code: "BAD_REQUEST", message: error.message, sql_state: error.sqlState } as any, columns: [], rows: [] };
          const message = (error as Error).message.split("\n")[0] as string;
          const missing = /does not exist/i.test(message);
          return {
            state: "FAILED" as const,
            error: { error_code: "BAD_REQUEST", message: missing ? `[TABLE_OR_VIEW_NOT_FOUND] ${message}` : `[INTERNAL_ERROR] ${message}`, sql_state: missing ? "42P01" : "XX000" } as any,
            columns: [],
            rows: [],
          };
        }
      },
    };
    ws.statements.set(statement.id, statement);
    await observe(statement);
    const answer = Number(seconds) === 0 && statement.outcome ? { statement_id: statement.id, status: { state: "PENDING" } } : statementBody(ws, statement);
    if (Number(seconds) > 0 && body.on_wait_timeout === "CANCEL" && answer.status.state !== "SUCCEEDED" && answer.status.state !== "FAILED") {
      statement.canceled = true;
      entry.state = "CANCELED";
      return send(response, (entry.status = 200), { statement_id: statement.id, status: { state: "CANCELED" } });
    }
    entry.state = answer.status.state;
    send(response, (entry.status = 200), answer);
  };

  const control = async (request: IncomingMessage, url: URL, response: ServerResponse) => {
    const parts = url.pathname.split("/").filter(Boolean); // _control workspaces HOST action
    if (parts[1] !== "workspaces" || !parts[2]) return send(response, 404, { error: "unknown control path" });
    const ws = await workspace(decodeURIComponent(parts[2]).toLowerCase());
    const action = parts[3] ?? "";
    const body = request.method === "GET" ? {} : (JSON.parse((await readBody(request)) || "{}") as Record<string, any>);
    switch (`${request.method} ${action}`) {
      case "POST tokens":
        ws.tokens.set(body.token, { principal: body.principal ?? "loader@example.com", readOnly: body.read_only === true, expiresAt: Infinity });
        return send(response, 201, {});
      case "POST service-principals":
        ws.clients.set(body.client_id, body.client_secret);
        return send(response, 201, {});
      case "POST warehouses":
        ws.warehouses.set(body.id, { id: body.id, startingPolls: body.starting_polls ?? 0 });
        return send(response, 201, {});
      case "POST catalogs":
        await ws.duck.ensureCatalog(body.name);
        return send(response, 201, {});
      case "POST faults":
        ws.faults = { rate429: body.rate_429 ?? 0, runningPolls: body.running_polls ?? 0, chunkRows: body.chunk_rows ?? 1000 };
        return send(response, 200, ws.faults);
      case "GET requests":
        return send(response, 200, ws.log);
      case "POST query":
        try {
          const result = await ws.duck.run(String(body.sql), body.params ?? []);
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
    const route = async () => {
      if (url.pathname.startsWith("/_control/")) return control(request, url, response);
      const ws = await workspaceOf(request);
      const entry: LoggedCall = { at: Date.now(), method: request.method ?? "GET", path: url.pathname, call: "unknown", status: 0 };
      ws.log.push(entry);
      if (url.pathname === "/oidc/v1/token" && request.method === "POST") {
        entry.call = "token";
        return tokenEndpoint(ws, request, response, entry);
      }
      const principal = authenticate(ws, request);
      if (!principal) {
        entry.status = 401;
        return send(response, 401, { error_code: "UNAUTHENTICATED", message: "Credential was not sent or was of an unsupported type for this API." });
      }
      entry.principal = principal.principal;
      if (url.pathname === "/api/2.0/sql/statements" && request.method === "POST") {
        entry.call = "statements.execute";
        return execute(ws, principal, request, response, entry);
      }
      const m = /^\/api\/2\.0\/sql\/statements\/([^/]+)(\/cancel|\/result\/chunks\/(\d+))?$/.exec(url.pathname);
      const statement = m ? ws.statements.get(m[1]!) : undefined;
      if (m && !statement) return send(response, (entry.status = 404), { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Statement ${m[1]} not found` });
      if (m && statement && request.method === "GET" && !m[2]) {
        entry.call = "statements.get";
        await observe(statement);
        const answer = statementBody(ws, statement);
        entry.state = answer.status.state;
        return send(response, (entry.status = 200), answer);
      }
      if (m && statement && request.method === "GET" && m[3]) {
        entry.call = "statements.chunk";
        if (!statement.outcome || statement.outcome.state !== "SUCCEEDED") return send(response, (entry.status = 400), { error_code: "INVALID_STATE", message: "No result" });
        return send(response, (entry.status = 200), chunkBody(statement.outcome, Number(m[3]), Math.max(1, ws.faults.chunkRows)));
      }
      if (m && statement && request.method === "POST" && m[2] === "/cancel") {
        entry.call = "statements.cancel";
        statement.canceled = true;
        return send(response, (entry.status = 200), {});
      }
      send(response, (entry.status = 404), { error_code: "ENDPOINT_NOT_FOUND", message: `No API found for '${request.method} ${url.pathname}'` });
    };
    route().catch((error) => {
      if (!response.headersSent) send(response, 500, { error_code: "INTERNAL_ERROR", message: (error as Error).message });
    });
  });
  const bound = await listen(server, port);
  return {
    name: "databricks",
    port: bound,
    hosts: [DATABRICKS_TEST_HOST, "*.cloud.databricks.com"],
    close: async () => {
      await stop(server);
      for (const ws of workspaces.values()) await ws.duck.close();
    },
  };
}

async function schemaExists(exec: (sql: string, params?: unknown[]) => Promise<DuckResult>, catalog: string, schema: string): Promise<boolean> {
  const found = await exec("SELECT 1 FROM information_schema.schemata WHERE catalog_name = $1 AND schema_name = $2", [catalog, schema]);
  return found.rows.length > 0;
}

function databricksType(duck: string): string {
  if (duck === "VARCHAR") return "STRING";
  if (duck === "TIMESTAMP WITH TIME ZONE") return "TIMESTAMP";
  if (duck === "INTEGER") return "INT";
  return duck;
}
