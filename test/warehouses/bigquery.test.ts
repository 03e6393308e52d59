/**
 * The BigQuery adapter against the REST fake (test/fakes/bigquery): service-account auth through the token endpoint,
 * datasets in the configured location, tables created with schemas, each group staged by one multipart load job whose
 * jobId a redelivery re-uses (409, never a second load), one MERGE query job per chunk, new fields by table patch,
 * widening by rebuild, full_refresh by a WRITE_TRUNCATE copy job, quota errors retried.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SYNCED_AT, batch, connectionSteps as steps, fullRefreshScenario, replacesFromScenario, streamTarget as target } from "../helpers/warehouse-scenarios";
import { type StagedUnderTest, bigqueryUnderTest, fakeRoot, rsaKeyPair, uniqueSchema } from "./staged-warehouses";


let wh: StagedUnderTest;
beforeAll(async () => {
  wh = await bigqueryUnderTest();
});



const calls = async (from: number) => (await wh.log()).slice(from);

describe("bigquery warehouse", () => {
  it("passes its connection test step by step; a key the fake does not know fails authentication with Google's reason", async () => {
    await wh.adapter().prepareStream(target("loaders_default"));
    expect((await steps(wh.adapter())).map((s) => [s.step, s.status])).toEqual([
      ["network", "success"],
      ["authentication", "success"],
      ["authorization", "success"],
      ["query", "success"],
    ]);
    const stranger = await rsaKeyPair();
    const key = { ...JSON.parse(String(wh.config.service_account_json)), private_key: stranger.privatePem };
    const failed = await steps(wh.adapter({ ...wh.config, service_account_json: JSON.stringify(key) }));
    expect(failed[1]).toMatchObject({ step: "authentication", status: "failed", message: expect.stringContaining("invalid_grant") });
    const wrongLocation = await steps(wh.adapter({ ...wh.config, location: "US" }));
    expect(wrongLocation[2]).toMatchObject({ status: "failed", message: expect.stringContaining("is in location EU, not US") });
  });

  it("creates the dataset and table with a schema, stages groups by load jobs and merges once per chunk", async () => {
    const schema = uniqueSchema("bq");
    const t = target(schema, { stream: "lineItems", json_schema: { type: "object", properties: { Id: { type: "integer" }, UpdatedAt: { type: "string", format: "date-time" }, Address: { type: "object" } } } });
    const adapter = wh.adapter();
    const mark = (await wh.log()).length;
    await adapter.prepareStream(t);
    await adapter.stage(t, batch("run-1:lineItems:0", [{ Id: 1, FirstName: "Ada", UpdatedAt: "2024-01-01T00:00:00Z", Address: { city: "Paris" } }]));
    await adapter.stage(t, batch("run-1:lineItems:1", [{ Id: 2, FirstName: "Grace", UpdatedAt: "2024-01-02T00:00:00Z", Address: null }, { Id: 1, FirstName: "Ada L.", UpdatedAt: "2024-01-03T00:00:00Z", Address: { city: "Lyon" } }]));
    await adapter.commit(t, { chunk_id: "run-1:lineItems:c0", batch_ids: ["run-1:lineItems:0", "run-1:lineItems:1"] });
    const log = await calls(mark);
    expect(log.filter((c: any) => c.call === "datasets.insert")).toHaveLength(1);
    expect(log.filter((c: any) => c.call === "jobs.insert(load)").map((c: any) => c.status)).toEqual([200, 200]);
    expect(log.filter((c: any) => c.call === "jobs.insert(query)")).toHaveLength(1);
    expect(await wh.columns(schema, "lineItems")).toMatchObject({ id: "integer", updated_at: "timestamp", address: "json", first_name: "string", _loader_synced_at: "timestamp" });
    expect((await wh.rows(schema, "lineItems", "id")).map((r) => [r.id, r.first_name, r.updated_at, r.address, r._loader_batch_id])).toEqual([
      [1, "Ada L.", "2024-01-03T00:00:00.000Z", { city: "Lyon" }, "run-1:lineItems:1"],
      [2, "Grace", "2024-01-02T00:00:00.000Z", null, "run-1:lineItems:1"],
    ]);
  });

  it("a redelivered chunk re-uses its job ids: the loads and the MERGE answer 409 Already Exists and nothing runs twice", async () => {
    const schema = uniqueSchema("bq");
    const t = target(schema);
    const attempt = async () => {
      const adapter = wh.adapter();
      await adapter.prepareStream(t);
      await adapter.stage(t, batch("run-1:Contacts:0", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Name: "a" }]));
      await adapter.stage(t, batch("run-1:Contacts:1", [{ Id: 2, UpdatedAt: "2024-01-01T00:00:00Z", Name: "b" }]));
      await adapter.commit(t, { chunk_id: "run-1:Contacts:c0", batch_ids: ["run-1:Contacts:0", "run-1:Contacts:1"] });
    };
    await attempt();
    const first = await wh.rows(schema, "Contacts", "id");
    const mark = (await wh.log()).length;
    await attempt();
    expect(await wh.rows(schema, "Contacts", "id")).toEqual(first);
    const again = (await calls(mark)).filter((c: any) => c.call.startsWith("jobs.insert"));
    expect(again.map((c: any) => [c.call, c.status])).toEqual([
      ["jobs.insert(load)", 409],
      ["jobs.insert(load)", 409],
      ["jobs.insert(query)", 409],
    ]);
    const staged = await wh.control("query", { sql: `SELECT count(*) FROM "loaders-test"."${schema}"."contacts__load_${(await import("../../src/warehouses/naming")).stableHash("run-1")}"` });
    expect(staged.rows).toEqual([["2"]]);
  });

  it("retries rateLimitExceeded and quotaExceeded with backoff; accessDenied is a configuration error naming the roles", async () => {
    const schema = uniqueSchema("bq");
    const t = target(schema);
    const adapter = wh.adapter();
    await adapter.prepareStream(t);
    await wh.control("faults", { rate_limit: 1, quota: 1 });
    await adapter.stage(t, batch("r:Contacts:0", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z" }]));
    await adapter.commit(t, { chunk_id: "r:Contacts:c0", batch_ids: ["r:Contacts:0"] });
    expect(await wh.rows(schema, "Contacts", "id")).toHaveLength(1);
    const viewer = await bigqueryUnderTest({ role: "viewer" });
    await expect(viewer.adapter().prepareStream(target(uniqueSchema("bq")))).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("roles/bigquery.dataEditor") });
  });

  it("adds new fields with a table patch and widens a conflicting column by a rebuild", async () => {
    const schema = uniqueSchema("bq");
    const t = target(schema);
    const adapter = wh.adapter();
    await adapter.prepareStream(t);
    await adapter.stage(t, batch("r:c:0", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Code: 42 }]));
    await adapter.commit(t, { chunk_id: "r:c:c0", batch_ids: ["r:c:0"] });
    const mark = (await wh.log()).length;
    await adapter.stage(t, batch("r:c:1", [{ Id: 2, UpdatedAt: "2024-01-01T00:00:00Z", Code: "A-7", Extra: 1.5 }]));
    await adapter.commit(t, { chunk_id: "r:c:c1", batch_ids: ["r:c:1"] });
    expect((await calls(mark)).filter((c: any) => c.call === "tables.patch")).toHaveLength(1);
    expect(await wh.columns(schema, "Contacts")).toMatchObject({ code: "string", extra: "number" });
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => [r.id, r.code, r.extra])).toEqual([
      [1, "42", null],
      [2, "A-7", 1.5],
    ]);
  });

  fullRefreshScenario(
    () => wh,
    {
      primaryKey: ["Id"],
      after: async (under, schema) => {
        const jobs = await under.control<any[]>("jobs");
        expect(jobs.filter((j) => j.configuration.copy?.destinationTable.datasetId === schema).map((j) => j.configuration.copy.writeDisposition)).toEqual(["WRITE_TRUNCATE", "WRITE_TRUNCATE"]);
      },
    },
    "full_refresh builds aside and replaces the target with a WRITE_TRUNCATE copy job; the old rows stay readable until then",
  );
  replacesFromScenario(() => wh);

  it("takes its tokens from the one Google token fake on either token host, and a key deleted in the console stops it", async () => {
    const own = await bigqueryUnderTest();
    const key = JSON.parse(String(own.config.service_account_json)) as Record<string, string>;
    const google = async (path: string, body?: unknown) => {
      const res = await fetch(`${fakeRoot("google")}/_fake/google/${path}`, { method: body === undefined ? "GET" : "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      return res.json() as Promise<Record<string, number>>;
    };
    const statuses = async (config: Record<string, unknown>) => (await steps(own.adapter(config))).map((s) => s.status);
    await own.adapter().prepareStream(target("loaders_default"));
    const granted = (await google("grants"))[key.client_email as string] ?? 0;
    expect(granted).toBeGreaterThanOrEqual(1);
    // Key files name either token endpoint; both are Google's, and both are the Google fake's here.
    const v4 = { ...own.config, service_account_json: JSON.stringify({ ...key, token_uri: "https://www.googleapis.com/oauth2/v4/token" }) };
    expect(await statuses(v4)).toEqual(["success", "success", "success", "success"]);
    expect((await google("grants"))[key.client_email as string]).toBe(granted + 1);
    await google("service-accounts/revoke", { client_email: key.client_email });
    const revoked = await steps(own.adapter());
    expect(revoked[1]).toMatchObject({ step: "authentication", status: "failed", message: expect.stringContaining("invalid_grant") });
  });
});
