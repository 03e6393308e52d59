/**
 * The REST warehouses under test (Snowflake, BigQuery, Databricks), each against its fake (test/fakes/<type>): a
 * source config with fresh credentials registered with the fake (a new RSA key pair per harness, or a token), an
 * adapter built the way the engine builds it, and reads that go straight to the fake's DuckDB (never through the
 * adapter under test), with column types read back in the loader's terms.
 */
import { env } from "cloudflare:workers";
import { createWarehouse, warehouseDeps } from "../../src/warehouses";
import type { WarehouseAdapter } from "../../src/warehouses/contract";
import { schemaName, tableName } from "../../src/warehouses/naming";
import type { ColumnType } from "../../src/warehouses/types";

export type StagedType = "snowflake" | "bigquery" | "databricks";

export const fakePort = (name: string): number => (JSON.parse(env.FAKE_PORTS) as Record<string, number>)[name] as number;
export const fakeRoot = (name: string) => `http://127.0.0.1:${fakePort(name)}`;

export async function controlCall<T = any>(name: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${fakeRoot(name)}/_control/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${name} control ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const pem = (label: string, der: ArrayBuffer) => {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, "$&\n").trimEnd()}\n-----END ${label}-----\n`;
};

export async function rsaKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  return {
    privatePem: pem("PRIVATE KEY", (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer),
    publicPem: pem("PUBLIC KEY", (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer),
  };
}

export type Row = Record<string, unknown>;

export interface StagedUnderTest {
  type: StagedType;
  config: Record<string, unknown>;
  adapter(config?: Record<string, unknown>): WarehouseAdapter;
  /** Rows with lower-case column names, typed as JS values (numbers, booleans, parsed JSON, ISO timestamps). */
  rows(schema: string, stream: string, orderBy: string): Promise<Row[]>;
  columns(schema: string, stream: string): Promise<Record<string, ColumnType> | null>;
  tables(schema: string): Promise<string[]>;
  /** The fake's request log (statements or calls). */
  log(): Promise<any[]>;
  control<T = any>(path: string, body?: unknown): Promise<T>;
  /** The physical (schema, table) a stream lands in. */
  where(schema: string, stream: string): { catalog: string; schema: string; table: string };
}

function logical(duckType: string): ColumnType {
  if (/^DECIMAL\(\d+,0\)$/.test(duckType) || /^(BIGINT|INTEGER|HUGEINT)$/.test(duckType)) return "integer";
  if (/^DECIMAL/.test(duckType)) return "decimal";
  if (duckType === "DOUBLE") return "number";
  if (duckType === "BOOLEAN") return "boolean";
  if (duckType === "DATE") return "date";
  if (duckType === "TIMESTAMP WITH TIME ZONE") return "timestamp";
  if (duckType === "JSON") return "json";
  return "string";
}

function value(raw: unknown, duckType: string, jsonColumns: boolean): unknown {
  if (raw === null || raw === undefined) return null;
  const t = logical(duckType);
  if (t === "integer" || t === "number") return Number(raw);
  if (t === "boolean") return raw === true || raw === "true";
  if (t === "timestamp") return new Date(String(raw).replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")).toISOString();
  if (t === "json" || (jsonColumns && typeof raw === "string" && /^[[{]/.test(raw))) {
    try {
      return JSON.parse(String(raw));
    } catch {
      return raw;
    }
  }
  return raw;
}

let counter = 0;
export function uniqueSchema(prefix = "wh"): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}_${counter}_${Math.floor(Math.random() * 1e6)}`;
}

const deps = () =>
  warehouseDeps({ warehouseDb: env.WAREHOUSE, development: true, hostOverrides: JSON.parse(env.HOST_OVERRIDES) as Record<string, string> });

/**
 * Snowflake: a fresh account per harness (host `<account>.us-east-1.snowflakecomputing.com`, its own DuckDB and
 * statement log, database LOADERS), and a fresh user whose public key the fake holds. An account of its own, because
 * test files run in parallel against one fake: assertions on the statement log must see this harness's statements only.
 */
export async function snowflakeUnderTest(options: { readOnly?: boolean; oauth?: boolean } = {}): Promise<StagedUnderTest> {
  const keys = await rsaKeyPair();
  const label = `lt${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;
  const account = label.toUpperCase();
  const user = `LOADER_${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
  await controlCall("snowflake", `accounts/${account}/users`, { name: user, public_key_pem: keys.publicPem, role: "LOADER", read_only: options.readOnly === true });
  let credential: Record<string, string> = { private_key: keys.privatePem };
  if (options.oauth) {
    // A custom OAuth security integration's client, and a refresh token it issued to the user (README, Snowflake).
    credential = { auth_type: "oauth", client_id: `loaders-${crypto.randomUUID().slice(0, 8)}`, client_secret: `secret-${crypto.randomUUID()}`, refresh_token: `ver:2-hint:${crypto.randomUUID()}` };
    await controlCall("snowflake", `accounts/${account}/oauth-clients`, { client_id: credential.client_id, client_secret: credential.client_secret });
    await controlCall("snowflake", `accounts/${account}/refresh-tokens`, { refresh_token: credential.refresh_token, client_id: credential.client_id, user });
  }
  const config = { account: `${label}.us-east-1`, warehouse: "loaders_wh", database: "loaders", schema: "public", username: user.toLowerCase(), ...credential, role: "LOADER" };
  return generic("snowflake", config, `accounts/${account}`, (schema, stream) => ({ catalog: "LOADERS", schema: schemaName(schema, 255).toUpperCase(), table: tableName(stream, 255).toUpperCase() }));
}

/** `mine`: which entries of a fake-wide request log are this harness's (BigQuery's log is the whole fake's). */
function generic(type: StagedType, config: Record<string, unknown>, controlPrefix: string, where: StagedUnderTest["where"], mine: (entry: any) => boolean = () => true): StagedUnderTest {
  const fake = type;
  const prefix = controlPrefix ? `${controlPrefix}/` : "";
  const q = (name: string) => `"${name}"`;
  return {
    type,
    config,
    adapter: (override) => createWarehouse({ source_type: type, config: override ?? config }, deps()),
    async rows(schema, stream, orderBy) {
      const w = where(schema, stream);
      const order = type === "snowflake" ? orderBy.toUpperCase() : orderBy;
      const result = await controlCall<{ columns: string[]; types: string[]; rows: unknown[][] }>(fake, `${prefix}query`, {
        sql: `SELECT * FROM ${q(w.catalog)}.${q(w.schema)}.${q(w.table)} ORDER BY ${q(order)}`,
      });
      return result.rows.map((row) =>
        Object.fromEntries(result.columns.map((name, i) => [name.toLowerCase(), value(row[i], result.types[i] as string, type === "databricks")])),
      );
    },
    async columns(schema, stream) {
      const w = where(schema, stream);
      const result = await controlCall<{ rows: unknown[][] }>(fake, `${prefix}query`, {
        sql: "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = $1 AND table_schema = $2 AND table_name = $3 ORDER BY ordinal_position",
        params: [w.catalog, w.schema, w.table],
      });
      if (result.rows.length === 0) return null;
      return Object.fromEntries(result.rows.map(([name, t]) => [String(name).toLowerCase(), logical(String(t))]));
    },
    async tables(schema) {
      const w = where(schema, "x");
      const result = await controlCall<{ rows: unknown[][] }>(fake, `${prefix}query`, {
        sql: "SELECT table_name FROM information_schema.tables WHERE table_catalog = $1 AND table_schema = $2 ORDER BY 1",
        params: [w.catalog, w.schema],
      });
      return result.rows.map(([name]) => String(name).toLowerCase()).sort();
    },
    async log() {
      const body = await controlCall<any>(fake, `${prefix}requests`);
      return (Array.isArray(body) ? body : body.statements).filter(mine);
    },
    control: (path, body) => controlCall(fake, `${prefix}${path}`, body),
    where,
  };
}

/** BigQuery: project loaders-test, a fresh service account (its public key with the fake), datasets in `location`. */
export async function bigqueryUnderTest(options: { location?: string; role?: "editor" | "viewer" } = {}): Promise<StagedUnderTest> {
  const keys = await rsaKeyPair();
  const email = `loader-${crypto.randomUUID().slice(0, 8)}@loaders-test.iam.gserviceaccount.com`;
  await controlCall("bigquery", "service-accounts", { client_email: email, public_key_pem: keys.publicPem, projects: { "loaders-test": options.role ?? "editor" } });
  const serviceAccount = { type: "service_account", project_id: "loaders-test", private_key_id: "k1", private_key: keys.privatePem, client_email: email, token_uri: "https://oauth2.googleapis.com/token" };
  const location = options.location ?? "EU";
  // The connection test reads the config's dataset: it exists beforehand, as a user's would.
  const config = { project_id: "loaders-test", dataset: "loaders_default", service_account_json: JSON.stringify(serviceAccount), location };
  // Test files run in parallel against one fake: the log this harness reads is its service account's calls.
  return generic("bigquery", config, "", (schema, stream) => ({ catalog: "loaders-test", schema: schemaName(schema, 300), table: tableName(stream, 300) }), (entry) => entry.principal === email);
}

/**
 * Databricks: a fresh workspace per harness (`dbc-<random>.cloud.databricks.com`: its own DuckDB, request log and
 * faults), catalog `loaders` with schema `landing`, SQL warehouse `wh<random>` (starting when `startingPolls` is set),
 * a fresh personal access token, or a service principal for OAuth M2M. A workspace of its own, because test files
 * run in parallel against one fake and assertions count the workspace's statements (one MERGE per chunk).
 */
export async function databricksUnderTest(options: { startingPolls?: number; oauth?: boolean } = {}): Promise<StagedUnderTest> {
  const host = `dbc-${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}.cloud.databricks.com`;
  const ws = `workspaces/${host}`;
  const token = `dapi${crypto.randomUUID().replace(/-/g, "")}`;
  const warehouse = `wh${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
  await controlCall("databricks", `${ws}/tokens`, { token, principal: "loader@example.com" });
  await controlCall("databricks", `${ws}/warehouses`, { id: warehouse, starting_polls: options.startingPolls ?? 0 });
  await controlCall("databricks", `${ws}/catalogs`, { name: "loaders" });
  await controlCall("databricks", `${ws}/query`, { sql: 'CREATE SCHEMA IF NOT EXISTS "loaders"."landing"' });
  let auth: Record<string, string> = { token };
  if (options.oauth) {
    const client_id = `sp-${crypto.randomUUID().slice(0, 8)}`;
    await controlCall("databricks", `${ws}/service-principals`, { client_id, client_secret: "sp-secret-value" });
    auth = { client_id, client_secret: "sp-secret-value" };
  }
  const config = { host, http_path: `/sql/1.0/warehouses/${warehouse}`, ...auth, catalog: "loaders", schema: "landing" };
  return generic("databricks", config, ws, (schema, stream) => ({ catalog: "loaders", schema: schemaName(schema, 255), table: tableName(stream, 255) }));
}
