/**
 * The Databricks adapter against the Statement Execution API fake (test/fakes/databricks): warehouse_id from
 * http_path, named parameters only, wait_timeout and polling (a starting warehouse is waited for), PAT and OAuth M2M,
 * Unity Catalog names, staging into a Delta load table merged once per chunk, ADD COLUMNS, widening by rebuild,
 * full_refresh with CREATE OR REPLACE TABLE, and statements that are idempotent by themselves (no request id exists).
 */
import { describe, expect, it } from "vitest";
import { SYNCED_AT, batch, connectionSteps as steps, fullRefreshScenario, replacesFromScenario, streamTarget as target } from "../helpers/warehouse-scenarios";
import { databricksUnderTest, uniqueSchema } from "./staged-warehouses";



describe("databricks warehouse", () => {
  it("passes its connection test with a PAT and with OAuth M2M; a bad http_path or token says what to fix", async () => {
    const wh = await databricksUnderTest();
    expect((await steps(wh.adapter())).map((s) => [s.step, s.status, s.message])).toEqual([
      ["network", "success", `Reached ${wh.config.host}`],
      ["authentication", "success", expect.stringContaining("Signed in as loader@example.com (personal access token)")],
      ["authorization", "success", "Catalog loaders and schema landing are usable"],
      ["query", "success", "SELECT 1 succeeded"],
    ]);
    const m2m = await databricksUnderTest({ oauth: true });
    expect((await steps(m2m.adapter())).map((s) => s.status)).toEqual(["success", "success", "success", "success"]);
    expect((await m2m.log()).filter((c: any) => c.call === "token")).toHaveLength(1);
    const badToken = await steps(wh.adapter({ ...wh.config, token: "dapi-wrong" }));
    expect(badToken[1]).toMatchObject({ status: "failed", message: expect.stringContaining("check the token") });
    const badWarehouse = await steps(wh.adapter({ ...wh.config, http_path: "/sql/1.0/warehouses/nope1234" }));
    expect(badWarehouse[1]).toMatchObject({ status: "failed", message: expect.stringContaining("check http_path") });
    expect(() => wh.adapter({ ...wh.config, http_path: "/sql/protocolv1/o/123/0123-456789-abc" })).toThrow(/does not run on clusters/);
  });

  it("waits for a starting warehouse, stages into Delta and merges once per chunk with named parameters", async () => {
    const wh = await databricksUnderTest({ startingPolls: 3 });
    const schema = uniqueSchema("dbx");
    const t = target(schema, { stream: "lineItems" });
    const adapter = wh.adapter();
    await adapter.prepareStream(t);
    await adapter.stage(t, batch("run-1:lineItems:0", [{ Id: 1, Name: "Ada", UpdatedAt: "2024-01-01T00:00:00Z", Address: { city: "Paris" }, Big: 12345678901234567890n }]));
    await adapter.stage(t, batch("run-1:lineItems:1", [{ Id: 2, Name: "Grace", UpdatedAt: "2024-01-02T00:00:00Z", Score: 2.5 }]));
    await adapter.commit(t, { chunk_id: "run-1:lineItems:c0", batch_ids: ["run-1:lineItems:0", "run-1:lineItems:1"] });
    const log = await wh.log();
    expect(log.some((c: any) => c.state === "PENDING")).toBe(true);
    const executed = log.filter((c: any) => c.call === "statements.execute");
    expect(executed.filter((c: any) => /^MERGE INTO `loaders`\./.test(c.statement))).toHaveLength(1);
    expect(executed.every((c: any) => !/'run-1/.test(c.statement))).toBe(true);
    expect(await wh.columns(schema, "lineItems")).toMatchObject({ id: "integer", name: "string", address: "string", big: "integer", score: "number", _loader_synced_at: "timestamp" });
    expect((await wh.rows(schema, "lineItems", "id")).map((r) => [r.id, r.name, r.address, r.score, r._loader_batch_id])).toEqual([
      [1, "Ada", { city: "Paris" }, null, "run-1:lineItems:0"],
      [2, "Grace", null, 2.5, "run-1:lineItems:1"],
    ]);
    const big = await wh.control("query", { sql: `SELECT CAST(big AS VARCHAR) FROM "loaders"."${schema}"."line_items" WHERE id = 1` });
    expect(big.rows).toEqual([["12345678901234567890"]]);
  });

  it("a redelivered chunk stages nothing twice and its MERGE leaves the table as it was; a new field adds columns; conflicts widen", async () => {
    const wh = await databricksUnderTest();
    const schema = uniqueSchema("dbx");
    const t = target(schema);
    const attempt = async () => {
      const adapter = wh.adapter();
      await adapter.prepareStream(t);
      await adapter.stage(t, batch("run-1:Contacts:0", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Code: 42 }]));
      await adapter.commit(t, { chunk_id: "run-1:Contacts:c0", batch_ids: ["run-1:Contacts:0"] });
    };
    await attempt();
    const first = await wh.rows(schema, "Contacts", "id");
    await attempt();
    expect(await wh.rows(schema, "Contacts", "id")).toEqual(first);
    const staged = await wh.control("query", { sql: `SELECT count(*) FROM "loaders"."${schema}"."contacts__load_${(await import("../../src/warehouses/naming")).stableHash("run-1")}"` });
    expect(staged.rows).toEqual([["1"]]);
    const adapter = wh.adapter();
    await adapter.stage(t, batch("run-1:Contacts:1", [{ Id: 2, UpdatedAt: "2024-01-02T00:00:00Z", Code: "A-7", Flag: true }]));
    await adapter.commit(t, { chunk_id: "run-1:Contacts:c1", batch_ids: ["run-1:Contacts:1"] });
    expect(await wh.columns(schema, "Contacts")).toMatchObject({ code: "string", flag: "boolean" });
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => [r.id, r.code, r.flag])).toEqual([
      [1, "42", null],
      [2, "A-7", true],
    ]);
    const statements = (await wh.log()).map((c: any) => c.statement ?? "");
    expect(statements.some((s: string) => /^ALTER TABLE .* ADD COLUMNS \(`flag` BOOLEAN\)$/.test(s))).toBe(true);
    expect(statements.some((s: string) => /^CREATE OR REPLACE TABLE .* USING DELTA AS SELECT .*CAST\(`code` AS STRING\) AS `code`/.test(s))).toBe(true);
  });

  fullRefreshScenario(
    () => databricksUnderTest(),
    {
      primaryKey: [],
      after: async (under, schema) => {
        const replaced = (await under.log()).filter((c: any) => c.call === "statements.execute" && /^CREATE OR REPLACE TABLE `loaders`\.`[^`]+`\.`contacts` USING DELTA AS SELECT \* FROM/.test(c.statement ?? ""));
        expect(replaced.map((c: any) => c.statement.includes(`\`${schema}\``))).toEqual([true, true]);
      },
    },
    "full_refresh replaces the target with CREATE OR REPLACE TABLE at the end; keyless commits replace their batches",
  );
  replacesFromScenario(() => databricksUnderTest());
});
