/**
 * A fake of the Snowflake SQL API v2 (`/api/v2/statements`) and the account's OAuth token endpoint
 * (`/oauth/token-request`) on node:http, backed by DuckDB (README.md has the contract). OAuth access tokens are the
 * ones the endpoint issued, ten minutes each; key-pair JWTs are verified for real (RS256 signature against the user's registered public key, `iss`
 * fingerprint, `sub`, lifetime ≤ 1 h); statements run asynchronously when asked or when a fault says so (202 +
 * statementStatusUrl); `requestId` + `retry=true` returns the first execution's outcome without running it again.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { RunningFake } from "../index";
import { DuckTenant } from "../shared/duckdb";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";
import { decodeJwt, publicKeyFingerprint, rs256Valid } from "../shared/jwt-verify";
import { type DuckPlan, type Session, SnowflakeSqlError, translate } from "./sql";

interface User {
  name: string;
  publicKeyPem: string;
  fingerprint: string;
  role: string;
  /** Warehouses whose USAGE the user's role holds. */
  warehouses: string[];
  /** Without write privileges every DDL and DML statement fails with 003001. */
  readOnly: boolean;
}

interface Faults {
  /** The next N statement submissions answer 429. */
  rate429: number;
  /** Every statement answers 202 this many times (submission and polls) before its result. */
  asyncPolls: number;
  /** Rows per result partition. */
  partitionRows: number;
}

interface StatementRecord {
  handle: string;
  requestId: string;
  pollsLeft: number;
  outcome: { status: number; body: Record<string, unknown>; partitions: unknown[][][] };
}

export interface LoggedStatement {
  at: number;
  requestId: string | null;
  retry: boolean;
  async: boolean;
  statement: string;
  bindings: Record<string, unknown> | undefined;
  /** Statement text plus bindings as sent (Snowflake's 1 MB guidance counts both). */
  bytes: number;
  status: number;
  /** False when the statement was not run: a replay of a known requestId, or refused before execution. */
  executed: boolean;
  replayed: boolean;
  user: string;
  /** The X-Snowflake-Authorization-Token-Type header as sent (absent: Snowflake reads the bearer as OAuth). */
  tokenType: string | null;
}

/** A refresh token issued by the account's OAuth security integration to one user (Snowflake OAuth, custom client). */
interface RefreshGrant {
  clientId: string;
  user: string;
  revoked: boolean;
}

interface Account {
  name: string;
  duck: DuckTenant;
  users: Map<string, User>;
  /** OAuth security integrations' clients: client_id → client_secret. */
  oauthClients: Map<string, string>;
  refreshTokens: Map<string, RefreshGrant>;
  /** Access tokens from `/oauth/token-request`: ten minutes each, as Snowflake issues them. */
  accessTokens: Map<string, { user: string; expiresAt: number }>;
  /** Token endpoint calls, for tests to count (granted or refused). */
  tokenRequests: Array<{ at: number; client: string | null; status: number; error?: string }>;
  warehouses: Set<string>;
  databases: Set<string>;
  statements: Map<string, StatementRecord>;
  byRequestId: Map<string, StatementRecord>;
  log: LoggedStatement[];
  polls: number;
  faults: Faults;
}

/** Hosts the test accounts live at; `*.snowflakecomputing.com` serves any other where wildcard overrides exist. */
export const SNOWFLAKE_TEST_HOSTS = ["xy12345.us-east-1.snowflakecomputing.com", "myorg-loaders.snowflakecomputing.com"];

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)) });
  response.end(text);
}

const unauthorized = (response: ServerResponse, message = "JWT token is invalid.") =>
  send(response, 401, { code: "390144", message, data: null, success: false });

export async function startSnowflakeFake(port = 0): Promise<RunningFake> {
  const accounts = new Map<string, Account>();

  /** Accounts being created: concurrent first requests for one account share one creation, never two DuckDBs. */
  const creating = new Map<string, Promise<Account>>();
  const account = (name: string): Promise<Account> => {
    const key = name.toUpperCase();
    let found = creating.get(key);
    if (!found) {
      found = DuckTenant.create().then(async (duck) => {
        const created: Account = {
          name: key,
          duck,
          users: new Map(),
          oauthClients: new Map(),
          refreshTokens: new Map(),
          accessTokens: new Map(),
          tokenRequests: [],
          warehouses: new Set(["LOADERS_WH"]),
          databases: new Set(),
          statements: new Map(),
          byRequestId: new Map(),
          log: [],
          polls: 0,
          faults: { rate429: 0, asyncPolls: 0, partitionRows: 1000 },
        };
        await addDatabase(created, "LOADERS");
        accounts.set(key, created);
        return created;
      });
      creating.set(key, found);
    }
    return found;
  };

  const addDatabase = async (acct: Account, name: string) => {
    acct.databases.add(name);
    await acct.duck.ensureCatalog(name);
    await acct.duck.run(`CREATE SCHEMA IF NOT EXISTS "${name}"."PUBLIC"`);
  };

  /** The account a request addresses: the first label of its snowflakecomputing.com host. */
  const accountOfHost = (headers: Record<string, string | undefined>): Account | undefined => {
    const host = (headers["x-forwarded-host"] ?? headers.host ?? "").toLowerCase();
    return host.endsWith(".snowflakecomputing.com") ? accounts.get(host.split(".")[0]!.toUpperCase()) : undefined;
  };

  const oauthCaller = (headers: Record<string, string | undefined>, bearer: string, response: ServerResponse): { acct: Account; user: User } | null => {
    const acct = accountOfHost(headers);
    const held = acct?.accessTokens.get(bearer);
    const user = held ? acct?.users.get(held.user) : undefined;
    if (!acct || !held || !user) {
      send(response, 401, { code: "390303", message: "Invalid OAuth access token. ", data: null, success: false });
      return null;
    }
    if (held.expiresAt <= Date.now()) {
      send(response, 401, { code: "390318", message: "OAuth access token expired. [" + bearer.slice(0, 12) + "…]", data: null, success: false });
      return null;
    }
    return { acct, user };
  };

  /**
   * `POST /oauth/token-request` (Snowflake OAuth, custom clients): the refresh-token grant, the client's id and
   * secret in a Basic header. Refusals carry OAuth's `error` with Snowflake's envelope (`data`, `message`, `success`).
   */
  const tokenRequest = async (request: IncomingMessage, response: ServerResponse) => {
    const headers = lowercaseHeaders(request);
    const acct = accountOfHost(headers);
    const form = new URLSearchParams(await readBody(request));
    const basic = /^Basic (.+)$/.exec(headers.authorization ?? "")?.[1];
    const [clientId, clientSecret] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":").map(decodeURIComponent) : [null, null];
    const refuse = (status: number, error: string, message: string) => {
      acct?.tokenRequests.push({ at: Date.now(), client: clientId ?? null, status, error });
      send(response, status, { data: null, error, error_description: message, message, code: null, success: false });
    };
    if (!acct || !clientId || acct.oauthClients.get(clientId) !== clientSecret) return refuse(401, "invalid_client", "The client secret supplied for a confidential client is invalid.");
    if (form.get("grant_type") !== "refresh_token") return refuse(400, "unsupported_grant_type", "The fake answers the refresh_token grant only.");
    const grant = acct.refreshTokens.get(form.get("refresh_token") ?? "");
    if (!grant || grant.clientId !== clientId || grant.revoked) return refuse(400, "invalid_grant", "This refresh token is invalid or has expired.");
    const user = acct.users.get(grant.user);
    if (!user) return refuse(400, "invalid_grant", "The user of this refresh token no longer exists.");
    const token = `ver:1-hint:${randomUUID().slice(0, 8)}-ETMsDgAAA${randomUUID().replace(/-/g, "")}`;
    acct.accessTokens.set(token, { user: user.name, expiresAt: Date.now() + 600_000 });
    acct.tokenRequests.push({ at: Date.now(), client: clientId, status: 200 });
    send(response, 200, { access_token: token, token_type: "Bearer", expires_in: 600, username: user.name, scope: `refresh_token session:role:${user.role}` });
  };

  /** The user a request authenticates as, or an answer already sent. */
  const authenticate = async (request: IncomingMessage, response: ServerResponse): Promise<{ acct: Account; user: User } | null> => {
    const headers = lowercaseHeaders(request);
    const type = headers["x-snowflake-authorization-token-type"];
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    if (!bearer) {
      send(response, 401, { code: "390101", message: "Authorization header is missing or malformed.", data: null, success: false });
      return null;
    }
    // Without the header Snowflake reads the bearer as an OAuth token (the SQL API's authenticating page).
    if (type === undefined || type === "OAUTH") return oauthCaller(headers, bearer, response);
    if (type !== "KEYPAIR_JWT") {
      send(response, 401, { code: "390101", message: `Unsupported authorization token type ${type}.`, data: null, success: false });
      return null;
    }
    const jwt = decodeJwt(bearer);
    if (!jwt) return void unauthorized(response), null;
    const iss = String(jwt.claims.iss ?? "");
    const sub = String(jwt.claims.sub ?? "");
    const m = /^([A-Z0-9_-]+)\.([A-Z0-9_.@-]+)\.(SHA256:[A-Za-z0-9+/=]+)$/.exec(iss);
    if (!m || sub !== `${m[1]}.${m[2]}`) return void unauthorized(response), null;
    const [, accountName, userName, fingerprint] = m as unknown as [string, string, string, string];
    const acct = accounts.get(accountName);
    const user = acct?.users.get(userName);
    const iat = Number(jwt.claims.iat);
    const exp = Number(jwt.claims.exp);
    const now = Date.now() / 1000;
    if (!acct || !user || user.fingerprint !== fingerprint) return void unauthorized(response), null;
    if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp <= now || exp - iat > 3600 || iat > now + 60) {
      return void unauthorized(response, "JWT token is invalid. [expired or lifetime over one hour]"), null;
    }
    if (!rs256Valid(jwt, user.publicKeyPem)) return void unauthorized(response), null;
    const host = (headers["x-forwarded-host"] ?? headers.host ?? "").toLowerCase();
    if (host.endsWith(".snowflakecomputing.com") && host.split(".")[0]!.toUpperCase() !== accountName) {
      return void unauthorized(response, "JWT token is invalid. [account does not match the host]"), null;
    }
    return { acct, user };
  };

  const resultOf = (acct: Account, handle: string, requestId: string, plan: DuckPlan, results: Awaited<ReturnType<DuckTenant["run"]>>[]) => {
    const last = results[results.length - 1]!;
    let rowType: Array<Record<string, unknown>>;
    let rows: unknown[][];
    if (plan.kind === "query") {
      rowType = last.columns.map((name, i) => ({ name, ...snowflakeType(last.types[i] as string), nullable: true }));
      rows = last.rows.map((row) => row.map((value, i) => cellText(value, last.types[i] as string)));
    } else if (plan.kind === "ddl") {
      rowType = [{ name: "status", type: "text", nullable: true }];
      rows = [["Statement executed successfully."]];
    } else {
      const name = plan.kind === "insert" ? "number of rows inserted" : plan.kind === "delete" ? "number of rows deleted" : "number of rows affected";
      rowType = [{ name, type: "fixed", scale: 0, precision: 19, nullable: false }];
      rows = [[String(results.reduce((sum, r) => sum + r.rowsChanged, 0))]];
    }
    const size = Math.max(1, acct.faults.partitionRows);
    const partitions: unknown[][][] = [];
    for (let i = 0; i < rows.length; i += size) partitions.push(rows.slice(i, i + size));
    if (partitions.length === 0) partitions.push([]);
    return {
      status: 200,
      partitions,
      body: {
        resultSetMetaData: {
          numRows: rows.length,
          format: "jsonv2",
          partitionInfo: partitions.map((p) => ({ rowCount: p.length, uncompressedSize: JSON.stringify(p).length })),
          rowType,
        },
        data: partitions[0],
        code: "090001",
        statementStatusUrl: `/api/v2/statements/${handle}?requestId=${requestId}`,
        requestId,
        sqlState: "00000",
        statementHandle: handle,
        message: "Statement executed successfully.",
        createdOn: Date.now(),
      },
    };
  };

  const failureOf = (handle: string, error: unknown) => {
    if (error instanceof SnowflakeSqlError) {
      return { status: 422, partitions: [], body: { code: error.code, sqlState: error.sqlState, message: error.message, statementHandle: handle } };
    }
    const message = error instanceof Error ? error.message : String(error);
    const missing = /does not exist|not found/i.test(message);
    return {
      status: 422,
      partitions: [],
      body: missing
        ? { code: "002003", sqlState: "42S02", message: `SQL compilation error:\nObject does not exist or not authorized. (${message})`, statementHandle: handle }
        : { code: "100000", sqlState: "22000", message: `SQL execution error: ${message}`, statementHandle: handle },
    };
  };

  const submit = async (request: IncomingMessage, url: URL, response: ServerResponse) => {
    const who = await authenticate(request, response);
    if (!who) return;
    const { acct, user } = who;
    const raw = await readBody(request);
    const requestId = url.searchParams.get("requestId");
    const retry = url.searchParams.get("retry") === "true";
    const asyncMode = url.searchParams.get("async") === "true";
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw) as Record<string, any>;
    } catch {
      return send(response, 400, { code: "391902", message: "Unable to parse JSON in the request body." });
    }
    const entry: LoggedStatement = {
      at: Date.now(),
      requestId,
      retry,
      async: asyncMode,
      statement: String(body.statement ?? ""),
      bindings: body.bindings,
      bytes: Buffer.byteLength(String(body.statement ?? "")) + Buffer.byteLength(JSON.stringify(body.bindings ?? {})),
      status: 0,
      executed: false,
      replayed: false,
      user: user.name,
      tokenType: lowercaseHeaders(request)["x-snowflake-authorization-token-type"] ?? null,
    };
    acct.log.push(entry);
    const answer = (status: number, payload: unknown) => {
      entry.status = status;
      send(response, status, payload);
    };
    if (requestId !== null && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(requestId)) {
      return answer(400, { code: "391903", message: `requestId ${requestId} is not a UUID.` });
    }
    if (acct.faults.rate429 > 0) {
      acct.faults.rate429 -= 1;
      return answer(429, { code: "390000", message: "Too many requests. Please retry later." });
    }
    if (requestId && retry) {
      const known = acct.byRequestId.get(requestId);
      if (known) {
        entry.replayed = true;
        return answer(...statusAnswer(known));
      }
    }
    if (typeof body.statement !== "string" || body.statement.trim() === "") {
      return answer(400, { code: "391904", message: "statement is required." });
    }
    const count = body.parameters?.MULTI_STATEMENT_COUNT;
    if (count !== undefined && String(count) !== "1") {
      return answer(422, { code: "000008", sqlState: "0A000", message: "The fake runs one statement per request; MULTI_STATEMENT_COUNT must be 1." });
    }
    const handle = randomUUID();
    const rid = requestId ?? randomUUID();
    const database = typeof body.database === "string" ? body.database : null;
    const warehouse = typeof body.warehouse === "string" ? body.warehouse : null;
    const role = typeof body.role === "string" ? body.role : user.role;
    let outcome: StatementRecord["outcome"];
    if (role !== user.role) {
      outcome = failureOf(handle, new SnowflakeSqlError("390189", "08004", `Role '${role}' specified in the connect string is not granted to this user. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.`));
    } else if (database !== null && !acct.databases.has(database)) {
      outcome = failureOf(handle, new SnowflakeSqlError("390201", "08004", `The requested database does not exist or not authorized.`));
    } else {
      const usable = warehouse !== null && acct.warehouses.has(warehouse) && user.warehouses.includes(warehouse) ? warehouse : null;
      if (warehouse !== null && usable === null) {
        outcome = failureOf(handle, new SnowflakeSqlError("390201", "08004", `The requested warehouse does not exist or not authorized.`));
      } else {
        const session: Session = { user: user.name, role, warehouse: usable, database, schema: typeof body.schema === "string" ? body.schema : null };
        outcome = await execute(acct, user, handle, rid, body.statement, body.bindings ?? {}, session);
        entry.executed = true;
      }
    }
    const record: StatementRecord = { handle, requestId: rid, pollsLeft: asyncMode ? Math.max(1, acct.faults.asyncPolls) : acct.faults.asyncPolls, outcome };
    acct.statements.set(handle, record);
    if (requestId) acct.byRequestId.set(requestId, record);
    answer(...statusAnswer(record));
  };

  const execute = async (acct: Account, user: User, handle: string, requestId: string, statement: string, bindings: Record<string, any>, session: Session) => {
    let plan: DuckPlan;
    try {
      plan = translate(statement, bindings, session);
      if (user.readOnly && plan.kind !== "query") {
        throw new SnowflakeSqlError("003001", "42501", `SQL access control error:\nInsufficient privileges to operate on schema`);
      }
      if (plan.kind !== "query" && plan.kind !== "ddl" && session.warehouse === null) {
        throw new SnowflakeSqlError("000606", "57P03", "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.\n");
      }
      const results = plan.atomic ? await acct.duck.transaction(plan.statements) : [await acct.duck.run(plan.statements[0]!.sql, plan.statements[0]!.params)];
      return resultOf(acct, handle, requestId, plan, results);
    } catch (error) {
      return failureOf(handle, error);
    }
  };

  /** 202 while the statement "runs" (polls left), then its stored outcome. */
  const statusAnswer = (record: StatementRecord): [number, unknown] => {
    if (record.pollsLeft > 0) {
      record.pollsLeft -= 1;
      return [
        202,
        {
          code: "333334",
          message: "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
          statementHandle: record.handle,
          statementStatusUrl: `/api/v2/statements/${record.handle}?requestId=${record.requestId}`,
        },
      ];
    }
    return [record.outcome.status, record.outcome.body];
  };

  const poll = async (request: IncomingMessage, url: URL, response: ServerResponse, handle: string) => {
    const who = await authenticate(request, response);
    if (!who) return;
    who.acct.polls += 1;
    const record = who.acct.statements.get(handle);
    if (!record) return send(response, 404, { code: "333333", message: `Statement ${handle} not found.` });
    const partition = url.searchParams.get("partition");
    if (partition !== null && partition !== "0") {
      const data = record.outcome.partitions[Number(partition)];
      if (!data) return send(response, 422, { code: "333335", message: `Partition ${partition} does not exist.` });
      return send(response, 200, { data, statementHandle: handle });
    }
    send(response, ...statusAnswer(record));
  };

  const control = async (request: IncomingMessage, url: URL, response: ServerResponse) => {
    const parts = url.pathname.split("/").filter(Boolean); // _control accounts NAME action
    if (parts[1] !== "accounts" || !parts[2]) return send(response, 404, { error: "unknown control path" });
    const acct = await account(decodeURIComponent(parts[2]));
    const action = parts[3] ?? "";
    const body = request.method === "GET" ? {} : (JSON.parse((await readBody(request)) || "{}") as Record<string, any>);
    switch (`${request.method} ${action}`) {
      case "POST users": {
        const name = String(body.name).toUpperCase();
        acct.users.set(name, {
          name,
          publicKeyPem: body.public_key_pem,
          fingerprint: publicKeyFingerprint(body.public_key_pem),
          role: body.role ?? "LOADER",
          warehouses: body.warehouses ?? ["LOADERS_WH"],
          readOnly: body.read_only === true,
        });
        return send(response, 201, { name, fingerprint: acct.users.get(name)!.fingerprint });
      }
      case "POST oauth-clients":
        acct.oauthClients.set(String(body.client_id), String(body.client_secret));
        return send(response, 201, { client_id: body.client_id });
      case "POST refresh-tokens":
        acct.refreshTokens.set(String(body.refresh_token), { clientId: String(body.client_id), user: String(body.user).toUpperCase(), revoked: false });
        return send(response, 201, {});
      case "POST refresh-tokens-revoke": {
        const grant = acct.refreshTokens.get(String(body.refresh_token));
        if (grant) grant.revoked = true;
        // Revoking the integration's consent ends the user's live sessions too.
        for (const [token, held] of acct.accessTokens) if (grant && held.user === grant.user) acct.accessTokens.delete(token);
        return send(response, 200, {});
      }
      case "POST expire-tokens":
        for (const held of acct.accessTokens.values()) held.expiresAt = 0;
        return send(response, 200, {});
      case "GET token-requests":
        return send(response, 200, acct.tokenRequests);
      case "POST databases":
        await addDatabase(acct, String(body.name));
        return send(response, 201, { name: body.name });
      case "POST faults":
        acct.faults = { rate429: body.rate_429 ?? 0, asyncPolls: body.async_polls ?? 0, partitionRows: body.partition_rows ?? 1000 };
        return send(response, 200, acct.faults);
      case "GET requests":
        return send(response, 200, { statements: acct.log, polls: acct.polls });
      case "POST query": {
        try {
          const result = await acct.duck.run(String(body.sql), body.params ?? []);
          return send(response, 200, { columns: result.columns, types: result.types, rows: result.rows });
        } catch (error) {
          return send(response, 400, { error: (error as Error).message });
        }
      }
      default:
        return send(response, 404, { error: `unknown control action ${request.method} ${action}` });
    }
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const route = async () => {
      if (url.pathname.startsWith("/_control/")) return control(request, url, response);
      if (request.method === "POST" && url.pathname === "/oauth/token-request") return tokenRequest(request, response);
      if (request.method === "POST" && url.pathname === "/api/v2/statements") return submit(request, url, response);
      const m = /^\/api\/v2\/statements\/([0-9a-f-]+)(\/cancel)?$/.exec(url.pathname);
      if (m && request.method === "GET" && !m[2]) return poll(request, url, response, m[1]!);
      if (m && request.method === "POST" && m[2]) {
        const who = await authenticate(request, response);
        if (!who) return;
        return send(response, 200, { code: "000604", message: "Statement canceled.", statementHandle: m[1] });
      }
      send(response, 404, { code: "390400", message: `Unknown endpoint ${request.method} ${url.pathname}` });
    };
    route().catch((error) => {
      if (!response.headersSent) send(response, 500, { code: "000603", message: `Internal error in the fake: ${(error as Error).message}` });
    });
  });
  const bound = await listen(server, port);
  return {
    name: "snowflake",
    port: bound,
    hosts: [...SNOWFLAKE_TEST_HOSTS, "*.snowflakecomputing.com"],
    close: async () => {
      await stop(server);
      for (const acct of accounts.values()) await acct.duck.close();
    },
  };
}

/** DuckDB type → Snowflake rowType entry. */
function snowflakeType(duck: string): Record<string, unknown> {
  if (/^DECIMAL\((\d+),(\d+)\)$/.test(duck)) {
    const [, p, s] = /^DECIMAL\((\d+),(\d+)\)$/.exec(duck)!;
    return { type: "fixed", precision: Number(p), scale: Number(s) };
  }
  if (/^(BIGINT|INTEGER|HUGEINT|SMALLINT|TINYINT)$/.test(duck)) return { type: "fixed", precision: 38, scale: 0 };
  if (duck === "DOUBLE" || duck === "FLOAT") return { type: "real" };
  if (duck === "BOOLEAN") return { type: "boolean" };
  if (duck === "TIMESTAMP WITH TIME ZONE") return { type: "timestamp_tz", scale: 9 };
  if (duck === "JSON") return { type: "variant" };
  return { type: "text", length: 16777216 };
}

/**
 * Cells as the SQL API sends them: every value a string; TIMESTAMP_TZ as "<epoch seconds>.<nanos> <offset minutes +
 * 1440>" (https://docs.snowflake.com/en/developer-guide/sql-api/handling-responses).
 */
function cellText(value: unknown, duck: string): string | null {
  if (value === null || value === undefined) return null;
  if (duck === "TIMESTAMP WITH TIME ZONE") {
    const ms = Date.parse(String(value).replace(" ", "T").replace(/\+00$/, "Z"));
    return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, "0")} 1440`;
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}
