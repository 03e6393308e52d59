/**
 * The Snowflake adapter against the SQL API fake (test/fakes/snowflake): the stage/commit contract (one MERGE per
 * chunk from staged JSON), upper-case identifiers, VARIANT for nested values, key-pair JWT auth, requestId replays on
 * redelivery (asserted on the fake's statement log), widening by rebuild, full_refresh by SWAP WITH, and statements
 * under the 1 MB guidance.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { as, bootstrapWorkspace } from "../helpers/api";
import { SYNCED_AT, batch, connectionSteps as steps, fullRefreshScenario, replacesFromScenario, streamTarget as target } from "../helpers/warehouse-scenarios";
import { snowflakeAccountName, snowflakeKeyPair } from "../../src/warehouses/snowflake/auth";
import { type StagedUnderTest, rsaKeyPair, snowflakeUnderTest, uniqueSchema } from "./staged-warehouses";


let wh: StagedUnderTest;
beforeAll(async () => {
  wh = await snowflakeUnderTest();
});



describe("snowflake warehouse", () => {
  it("passes its connection test step by step, and says what to fix for a wrong key or an unusable warehouse", async () => {
    expect(await steps(wh.adapter())).toEqual([
      { step: "network", status: "success", message: `Reached ${wh.config.account}.snowflakecomputing.com` },
      { step: "authentication", status: "success", message: expect.stringMatching(/^Signed in as LOADER_\w+ with the key pair whose public key fingerprint is SHA256:/) },
      { step: "authorization", status: "success", message: "Role LOADER may use warehouse LOADERS_WH and database LOADERS" },
      { step: "query", status: "success", message: "SELECT 1 succeeded" },
    ]);
    const stranger = await rsaKeyPair();
    const wrongKey = await steps(wh.adapter({ ...wh.config, private_key: stranger.privatePem }));
    expect(wrongKey[1]).toMatchObject({ step: "authentication", status: "failed", message: expect.stringContaining("RSA_PUBLIC_KEY is the public half of private_key") });
    expect(wrongKey[2]).toMatchObject({ status: "skipped" });
    const noWarehouse = await steps(wh.adapter({ ...wh.config, warehouse: "other_wh" }));
    expect(noWarehouse.find((s) => s.status === "failed")).toMatchObject({ message: expect.stringContaining("warehouse does not exist or the role may not use it") });
  });

  // Within one chunk the newest version of a record wins whole (one source row per key in the MERGE).
  it("stages groups and merges them once per chunk into upper-case tables, VARIANT for nested values, exact values", async () => {
    const schema = uniqueSchema("sf");
    const adapter = wh.adapter();
    const t = target(schema, { stream: "lineItems" });
    await adapter.prepareStream(t);
    await adapter.stage(t, batch("run-1:lineItems:0", [{ Id: 1, FirstName: "Ada", UpdatedAt: "2024-01-01T00:00:00Z", Address: { city: "Paris" }, Tags: ["a", 1], Big: 12345678901234567890n }]));
    await adapter.stage(t, batch("run-1:lineItems:1", [{ Id: 2, FirstName: "Grace", UpdatedAt: "2024-01-02T00:00:00Z", Score: 1.5 }, { Id: 1, FirstName: "Ada L.", UpdatedAt: "2024-01-03T00:00:00Z", Address: { city: "Paris" }, Tags: ["a", 1], Big: 12345678901234567890n }]));
    const before = (await wh.log()).filter((s: any) => /^MERGE/.test(s.statement)).length;
    await adapter.commit(t, { chunk_id: "run-1:lineItems:c0", batch_ids: ["run-1:lineItems:0", "run-1:lineItems:1"] });
    const log = await wh.log();
    expect(log.filter((s: any) => /^MERGE/.test(s.statement)).length - before).toBe(1);
    expect(log.every((s: any) => s.requestId && s.retry === true)).toBe(true);
    expect(log.some((s: any) => s.statement.includes("TABLE(FLATTEN(INPUT => PARSE_JSON(?)))"))).toBe(true);
    const w = wh.where(schema, "lineItems");
    expect(w).toMatchObject({ table: "LINE_ITEMS", schema: schema.toUpperCase() });
    expect(await wh.columns(schema, "lineItems")).toEqual({
      id: "integer",
      first_name: "string",
      updated_at: "string",
      address: "json",
      tags: "json",
      big: "integer",
      _loader_run_id: "string",
      _loader_synced_at: "timestamp",
      _loader_batch_id: "string",
      _loader_deleted_at: "timestamp",
      score: "number",
    });
    const rows = await wh.rows(schema, "lineItems", "id");
    expect(rows).toEqual([
      { id: 1, first_name: "Ada L.", updated_at: "2024-01-03T00:00:00Z", address: { city: "Paris" }, tags: ["a", 1], big: 12345678901234567890, _loader_run_id: "run-1", _loader_synced_at: SYNCED_AT, _loader_batch_id: "run-1:lineItems:1", _loader_deleted_at: null, score: null },
      { id: 2, first_name: "Grace", updated_at: "2024-01-02T00:00:00Z", address: null, tags: null, big: null, _loader_run_id: "run-1", _loader_synced_at: SYNCED_AT, _loader_batch_id: "run-1:lineItems:1", _loader_deleted_at: null, score: 1.5 },
    ]);
    // Exact beyond 2^53: read as text from the fake's DuckDB.
    const big = await wh.control("query", { sql: `SELECT CAST("BIG" AS VARCHAR) FROM "LOADERS"."${w.schema}"."LINE_ITEMS" WHERE "ID" = 1` });
    expect(big.rows).toEqual([["12345678901234567890"]]);
  });

  it("a redelivered chunk re-submits the same requestIds: Snowflake answers from the first execution, nothing runs twice", async () => {
    const schema = uniqueSchema("sf");
    const t = target(schema);
    const records = [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Name: "a" }, { Id: 2, UpdatedAt: "2024-01-01T00:00:00Z", Name: "b" }];
    const attempt = async () => {
      const adapter = wh.adapter();
      await adapter.prepareStream(t);
      await adapter.stage(t, batch("run-1:Contacts:0", records));
      await adapter.commit(t, { chunk_id: "run-1:Contacts:c0", batch_ids: ["run-1:Contacts:0"] });
    };
    await attempt();
    const first = await wh.rows(schema, "Contacts", "id");
    const mark = (await wh.log()).length;
    await attempt();
    expect(await wh.rows(schema, "Contacts", "id")).toEqual(first);
    const again = (await wh.log()).slice(mark).filter((s: any) => /^(INSERT|MERGE)/.test(s.statement));
    expect(again.map((s: any) => [s.statement.slice(0, 5), s.executed, s.replayed])).toEqual([
      ["INSER", false, true],
      ["MERGE", false, true],
    ]);
  });

  it("merges incrementally in place: newer cursor wins, older is ignored, a soft delete keeps the row", async () => {
    const schema = uniqueSchema("sf");
    const t = target(schema);
    const adapter = wh.adapter();
    await adapter.prepareStream(t);
    await adapter.stage(t, batch("r:c:0", [{ Id: 1, UpdatedAt: "2024-01-02T00:00:00Z", Name: "new" }, { Id: 2, UpdatedAt: "2024-01-01T00:00:00Z", Name: "two" }]));
    await adapter.commit(t, { chunk_id: "r:c:c0", batch_ids: ["r:c:0"] });
    await adapter.stage(t, batch("r:c:1", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Name: "older" }, { Id: 2, _loader_deleted_at: "2024-02-01T00:00:00Z" }]));
    await adapter.commit(t, { chunk_id: "r:c:c1", batch_ids: ["r:c:1"] });
    const rows = await wh.rows(schema, "Contacts", "id");
    expect(rows.map((r) => [r.id, r.name, r._loader_deleted_at])).toEqual([
      [1, "new", null],
      [2, "two", "2024-02-01T00:00:00.000Z"],
    ]);
  });

  it("a new field adds a column; a type conflict widens the column by a rebuild, keeping every value", async () => {
    const schema = uniqueSchema("sf");
    const t = target(schema);
    const adapter = wh.adapter();
    await adapter.prepareStream(t);
    await adapter.stage(t, batch("r:c:0", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Code: 42 }]));
    await adapter.commit(t, { chunk_id: "r:c:c0", batch_ids: ["r:c:0"] });
    await adapter.stage(t, batch("r:c:1", [{ Id: 2, UpdatedAt: "2024-01-01T00:00:00Z", Code: "A-7", Extra: true }]));
    await adapter.commit(t, { chunk_id: "r:c:c1", batch_ids: ["r:c:1"] });
    expect(await wh.columns(schema, "Contacts")).toMatchObject({ code: "string", extra: "boolean" });
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => [r.id, r.code, r.extra])).toEqual([
      [1, "42", null],
      [2, "A-7", true],
    ]);
    expect((await wh.log()).some((s: any) => /^CREATE OR REPLACE TABLE .* COPY GRANTS AS SELECT .*TO_VARCHAR\("CODE"\) AS "CODE"/.test(s.statement))).toBe(true);
  });

  fullRefreshScenario(
    () => wh,
    {
      primaryKey: ["Id"],
      // One executed SWAP WITH: the redelivered finalize found nothing aside.
      after: async (under, schema) => {
        expect((await under.log()).filter((s: any) => /SWAP WITH/.test(s.statement) && s.statement.includes(schema.toUpperCase())).map((s: any) => s.executed)).toEqual([true]);
      },
    },
    "full_refresh builds the table aside and swaps it in with SWAP WITH; the old table is readable until then",
  );

  it("keyless streams replace the rows of the committed batches; big groups are split under the statement size limit", async () => {
    const schema = uniqueSchema("sf");
    const t = target(schema, { stream: "events", primary_key: [], cursor_field: null });
    const adapter = wh.adapter();
    await adapter.prepareStream(t);
    const payload = "x".repeat(2000);
    const records = Array.from({ length: 1200 }, (_, i) => ({ n: i, payload }));
    const mark = (await wh.log()).length;
    await adapter.stage(t, batch("r:events:0", records));
    await adapter.commit(t, { chunk_id: "r:events:c0", batch_ids: ["r:events:0"] });
    await adapter.commit(t, { chunk_id: "r:events:c0", batch_ids: ["r:events:0"] });
    const staged = (await wh.log()).slice(mark).filter((s: any) => /^INSERT INTO .*__LOAD_/.test(s.statement));
    expect(staged.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...staged.map((s: any) => s.bytes))).toBeLessThan(1_000_000);
    const rows = await wh.rows(schema, "events", "n");
    expect(rows).toHaveLength(1200);
    expect(rows[1199]).toMatchObject({ n: 1199, payload });
  });

  it("signs key-pair JWTs as the docs say and signs a new one five minutes before the hour is up", async () => {
    expect([snowflakeAccountName("xy12345.us-east-1"), snowflakeAccountName("myorg-myaccount"), snowflakeAccountName("xy12345.us-east-2.aws")]).toEqual(["XY12345", "MYORG-MYACCOUNT", "XY12345"]);
    const keys = await rsaKeyPair();
    let now = Date.UTC(2024, 0, 1);
    const auth = snowflakeKeyPair({ account: "xy12345.us-east-1", user: "loader", privateKey: keys.privatePem, now: () => now });
    const bearer = async () => {
      const headers = new Headers();
      await auth.apply({ url: new URL("https://x"), headers }, undefined as never);
      expect(headers.get("x-snowflake-authorization-token-type")).toBe("KEYPAIR_JWT");
      return (headers.get("authorization") as string).slice("Bearer ".length);
    };
    const claims = (jwt: string) => JSON.parse(atob((jwt.split(".")[1] as string).replace(/-/g, "+").replace(/_/g, "/")));
    const first = await bearer();
    expect(claims(first)).toEqual({ iss: `XY12345.LOADER.${await auth.fingerprint()}`, sub: "XY12345.LOADER", iat: now / 1000, exp: now / 1000 + 3540 });
    expect(await auth.fingerprint()).toMatch(/^SHA256:[A-Za-z0-9+/]{43}=$/);
    now += 53 * 60_000;
    expect(await bearer()).toBe(first);
    now += 2 * 60_000;
    const renewed = await bearer();
    expect(renewed).not.toBe(first);
    expect(claims(renewed).iat).toBe(now / 1000);
  });

  it("a config with a password is refused with what to do instead", async () => {
    expect(() => wh.adapter({ ...wh.config, private_key: undefined, password: "secret" })).toThrow(/does not accept passwords; use key-pair authentication/);
  });
  replacesFromScenario(() => wh);
});

describe("snowflake warehouse with OAuth", () => {
  const success = [
    ["network", "success"],
    ["authentication", "success"],
    ["authorization", "success"],
    ["query", "success"],
  ];

  it("passes the connection test and loads with access tokens from the account's token endpoint, renewed when one expires", async () => {
    const oauth = await snowflakeUnderTest({ oauth: true });
    const tested = await steps(oauth.adapter());
    expect(tested.map((s) => [s.step, s.status])).toEqual(success);
    expect(tested[1]?.message).toBe(`Signed in as ${String(oauth.config.username).toUpperCase()} with an OAuth access token of security integration client ${oauth.config.client_id}`);

    const schema = uniqueSchema("sfo");
    const t = target(schema);
    const adapter = oauth.adapter();
    await adapter.prepareStream(t);
    await adapter.stage(t, batch("run-1:Contacts:0", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Name: "Ada" }]));
    await adapter.commit(t, { chunk_id: "run-1:Contacts:c0", batch_ids: ["run-1:Contacts:0"] });
    // Access tokens live ten minutes: when the fake expires them, the next statement's 401 fetches a new one.
    await oauth.control("expire-tokens", {});
    await adapter.stage(t, batch("run-1:Contacts:1", [{ Id: 2, UpdatedAt: "2024-01-02T00:00:00Z", Name: "Grace" }]));
    await adapter.commit(t, { chunk_id: "run-1:Contacts:c1", batch_ids: ["run-1:Contacts:1"] });
    expect((await oauth.rows(schema, "Contacts", "id")).map((r) => [r.id, r.name])).toEqual([
      [1, "Ada"],
      [2, "Grace"],
    ]);
    // One grant for the connection test's adapter, one for the load's, one after the expiry; never one per statement.
    expect((await oauth.control<any[]>("token-requests")).map((r) => [r.client, r.status])).toEqual([
      [oauth.config.client_id, 200],
      [oauth.config.client_id, 200],
      [oauth.config.client_id, 200],
    ]);
    const log = await oauth.log();
    expect(log.length).toBeGreaterThan(5);
    expect(log.every((s: any) => s.tokenType === "OAUTH" && s.user === String(oauth.config.username).toUpperCase())).toBe(true);
  });

  it("a revoked refresh token is a configuration error that says to authorize again, and nothing is written", async () => {
    const oauth = await snowflakeUnderTest({ oauth: true });
    await oauth.control("refresh-tokens-revoke", { refresh_token: oauth.config.refresh_token });
    const schema = uniqueSchema("sfo");
    const failure = await oauth
      .adapter()
      .prepareStream(target(schema))
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toMatchObject({ kind: "configuration", message: expect.stringContaining("invalid_grant") });
    expect((failure as Error).message).toContain("authorize the loading user through the security integration again");
    expect((failure as Error).message).not.toContain(String(oauth.config.refresh_token));
    expect(await oauth.tables(schema)).toEqual([]);
    const tested = await steps(oauth.adapter());
    expect(tested[1]).toMatchObject({ step: "authentication", status: "failed", message: expect.stringContaining("invalid_grant") });
    expect((await oauth.log()).filter((s: any) => s.executed)).toEqual([]);
  });

  it("a config mixing or missing the fields of its auth_type is a 400 naming the field; OAuth secrets are sealed", async () => {
    const { private_key: _key, ...base } = wh.config;
    const owner = await bootstrapWorkspace();
    const post = (config: Record<string, unknown>) => as(owner)("/sources", { method: "POST", body: { name: "sf", source_type: "snowflake", config } });
    const refused: Array<[Record<string, unknown>, string]> = [
      [{ ...base, auth_type: "oauth", client_id: "c", client_secret: "s" }, "refresh_token is required with auth_type oauth"],
      [{ ...wh.config, auth_type: "oauth", client_id: "c", client_secret: "s", refresh_token: "r" }, "auth_type oauth takes no private_key"],
      [{ ...wh.config, client_id: "c" }, "client_id is for auth_type oauth"],
      [{ ...base, auth_type: "password" }, "auth_type"],
    ];
    for (const [config, says] of refused) {
      const res = await post(config);
      expect(res.status, says).toBe(400);
      expect(JSON.stringify(res.json), says).toContain(says);
    }
    const created = await post({ ...base, auth_type: "oauth", client_id: "loaders-client", client_secret: "oauth-secret-1", refresh_token: "ver:2-hint:refresh-1" });
    expect(created.status).toBe(201);
    expect(created.json.config).toMatchObject({ auth_type: "oauth", client_id: "loaders-client" });
    expect(created.text).not.toContain("oauth-secret-1");
    expect(created.text).not.toContain("refresh-1");
    const row = await env.DB.prepare("select config, config_secrets from sources where id = ?").bind(created.json.id).first<{ config: string; config_secrets: string }>();
    expect(row?.config).not.toContain("oauth-secret-1");
    expect(row?.config_secrets).toMatch(/^v1:/);
  });
});
