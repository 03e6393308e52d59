/**
 * testConnection yields network → authentication → authorization → query; the first failure carries a message
 * the user can act on (never the password) and the later steps are skipped. Plus the factory's refusals.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ConnectionTestStep, WarehouseAdapter } from "../../src/warehouses/contract";
import { createWarehouse } from "../../src/warehouses";
import { PostgresWarehouse } from "../../src/warehouses/postgresql";
import { postgresTestConfig } from "./harness";

const PASSWORD = "n0t-the-Password!";

async function steps(adapter: WarehouseAdapter): Promise<ConnectionTestStep[]> {
  const out: ConnectionTestStep[] = [];
  try {
    for await (const step of adapter.testConnection()) out.push(step);
  } finally {
    await adapter.close();
  }
  return out;
}

const statuses = (result: ConnectionTestStep[]) => result.map((s) => `${s.step}:${s.status}`);

describe("postgresql testConnection", () => {
  it("succeeds step by step against a reachable server", async () => {
    const config = postgresTestConfig();
    const sent: string[] = [];
    const result = await steps(new PostgresWarehouse(config, { development: true, onStatement: (sql) => sent.push(sql) }));

    expect(statuses(result)).toEqual(["network:success", "authentication:success", "authorization:success", "query:success"]);
    expect(result[0]?.message).toBe(`Reached ${config.host}:${config.port}`);
    expect(result[1]?.message).toContain(`as "${config.user}"`);
    expect(result[2]?.message).toMatch(/may create schemas/);
    expect(sent.some((sql) => sql.includes("has_database_privilege"))).toBe(true);
    expect(sent.at(-1)).toBe("SELECT 1 AS ok");
  });

  it("passes every step over TLS outside development, with workerd checking the certificate and its host name", async () => {
    // test/tls-servers.ts: a PostgreSQL with TLS, its certificate for `localhost` from a CA trusted for this run.
    const config = { host: "localhost", port: Number(env.PG_TLS_PORT), database: "postgres", user: "postgres", password: PASSWORD, sslmode: "verify-full" as const };
    const result = await steps(new PostgresWarehouse(config, { development: false }));
    expect(statuses(result)).toEqual(["network:success", "authentication:success", "authorization:success", "query:success"]);
    expect(result[1]?.message).toContain("over TLS");

    // The certificate names localhost only; a refused handshake is a configuration error, not a flaky network.
    const refused = await steps(new PostgresWarehouse({ ...config, host: "127.0.0.1" }, { development: false }));
    expect(statuses(refused)).toEqual(["network:success", "authentication:failed", "authorization:skipped", "query:skipped"]);
    expect(refused[1]?.message).toContain("TLS handshake failed");
    const adapter = new PostgresWarehouse({ ...config, host: "127.0.0.1" }, { development: false });
    await expect(adapter.prepareStream({ schema: "tls_probe", stream: "t", sync_mode: "full_refresh", primary_key: [], cursor_field: null, run_id: "r" })).rejects.toMatchObject({ kind: "configuration" });
    await adapter.close();
  });

  it("fails at network for an unreachable port and skips the rest", async () => {
    const result = await steps(new PostgresWarehouse(postgresTestConfig({ port: 1, password: PASSWORD }), { development: true }));

    expect(statuses(result)).toEqual(["network:failed", "authentication:skipped", "authorization:skipped", "query:skipped"]);
    expect(result[0]?.message).toMatch(/^Could not reach 127\.0\.0\.1:1/);
  });

  it("fails at authentication for a role the server does not know, without echoing the password", async () => {
    const result = await steps(
      new PostgresWarehouse(postgresTestConfig({ user: "no_such_role_wh", password: PASSWORD }), { development: true }),
    );

    expect(statuses(result)).toEqual(["network:success", "authentication:failed", "authorization:skipped", "query:skipped"]);
    expect(result[1]?.message).toContain(`role "no_such_role_wh" does not exist`);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it("fails at authentication for a database that does not exist", async () => {
    const result = await steps(new PostgresWarehouse(postgresTestConfig({ database: "no_such_db_wh" }), { development: true }));

    expect(statuses(result)).toEqual(["network:success", "authentication:failed", "authorization:skipped", "query:skipped"]);
    expect(result[1]?.message).toContain("The database does not exist");
  });

  // The local server trusts 127.0.0.1 and never checks passwords; the fake refuses any password (fakes/postgres-auth.ts).
  const fakePort = (JSON.parse(env.FAKE_PORTS) as Record<string, number>)["postgres-auth"];
  it.skipIf(fakePort === undefined)("fails at authentication for a wrong password, without echoing it", async () => {
    const result = await steps(
      new PostgresWarehouse(postgresTestConfig({ port: fakePort as number, user: "loader", password: PASSWORD }), { development: true }),
    );

    expect(statuses(result)).toEqual(["network:success", "authentication:failed", "authorization:skipped", "query:skipped"]);
    expect(result[1]?.message).toContain("Password authentication failed");
    expect(result[1]?.message).toContain(`user "loader"`);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });
});

describe("postgresql target schema", () => {
  it("refuses a pg_ schema (PostgreSQL reserves them) as a configuration error, before any statement", async () => {
    const sent: string[] = [];
    const adapter = new PostgresWarehouse(postgresTestConfig(), { development: true, onStatement: (sql) => sent.push(sql) });
    try {
      const target = { schema: "PG_RAW", stream: "items", sync_mode: "incremental" as const, primary_key: ["id"], cursor_field: null, run_id: "r" };
      await expect(adapter.prepareStream(target)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining(`beginning with "pg_"`) });
      expect(sent).toEqual([]);
    } finally {
      await adapter.close();
    }
  });
});

describe("createWarehouse", () => {
  const deps = { warehouseDb: env.WAREHOUSE, development: false };

  it("the d1 warehouse answers its connection test with SELECT 1", async () => {
    const result = await steps(createWarehouse({ source_type: "d1", config: {} }, deps));
    expect(statuses(result)).toEqual(["network:success", "authentication:success", "authorization:success", "query:success"]);
  });

  it("refuses sslmode disable outside development and defaults to require", () => {
    const config = { host: "db.example.com", database: "analytics", user: "loader", password: PASSWORD };
    expect(() => createWarehouse({ source_type: "postgresql", config: { ...config, sslmode: "disable" } }, deps)).toThrow(
      expect.objectContaining({ name: "WarehouseError", kind: "configuration", message: expect.stringContaining("only allowed in development") }),
    );
    expect(createWarehouse({ source_type: "postgresql", config }, deps)).toBeInstanceOf(PostgresWarehouse);
    expect(() => createWarehouse({ source_type: "postgresql", config: { ...config, port: "5432x" } }, deps)).toThrow(/port/);
  });

  it("refuses an unknown warehouse type as a configuration error", () => {
    expect(() => createWarehouse({ source_type: "oracle", config: {} }, deps)).toThrow(
      expect.objectContaining({ name: "WarehouseNotSupportedError", kind: "configuration", message: 'Unknown warehouse type "oracle"' }),
    );
  });
});
