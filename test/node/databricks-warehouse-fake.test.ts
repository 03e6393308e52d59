/**
 * The Databricks fake against the Statement Execution API's documented requests (docs.databricks.com "Tutorial:
 * Execute SQL statements on warehouses": the lineitem query with typed named parameters, wait_timeout 0s and
 * polling, chunks) and the OAuth M2M token request ("Authorize service principal access … with OAuth").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABRICKS_TEST_HOST, startDatabricksFake } from "../fakes/databricks/server";
import type { RunningFake } from "../fakes/index";

let fake: RunningFake;
let base: string;
const PAT = "dapi0123456789abcdef0123456789abcdef";

async function control(path: string, body?: unknown) {
  const res = await fetch(`${base}/_control/workspaces/${DATABRICKS_TEST_HOST}/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json() as Promise<any>;
}

async function api(method: string, path: string, body?: unknown, token = PAT) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "X-Forwarded-Host": DATABRICKS_TEST_HOST },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const run = (statement: string, extra: Record<string, unknown> = {}, token?: string) =>
  api("POST", "/api/2.0/sql/statements", { warehouse_id: "abcdef0123456789", catalog: "samples", schema: "tpch", statement, wait_timeout: "30s", ...extra }, token);

beforeAll(async () => {
  fake = await startDatabricksFake();
  base = `http://127.0.0.1:${fake.port}`;
  await control("tokens", { token: PAT });
  await control("tokens", { token: "dapi-readonly", read_only: true });
  await control("service-principals", { client_id: "sp-client", client_secret: "sp-secret" });
  await control("warehouses", { id: "abcdef0123456789" });
  await control("catalogs", { name: "samples" });
  await control("query", { sql: 'CREATE SCHEMA "samples"."tpch"' });
  await control("query", {
    sql: `CREATE TABLE "samples"."tpch"."lineitem" AS SELECT * FROM (VALUES (1, 70000.50::DECIMAL(18,2), DATE '1994-06-01'), (2, 50000::DECIMAL(18,2), DATE '1994-07-01'), (3, 90000::DECIMAL(18,2), DATE '1994-08-01'), (4, 95000::DECIMAL(18,2), DATE '1996-01-01')) t(l_orderkey, l_extendedprice, l_shipdate)`,
  });
});
afterAll(async () => fake.close());

describe("Databricks Statement Execution API fake", () => {
  it("runs the tutorial's parameterized query and answers a manifest and JSON_ARRAY data", async () => {
    const res = await run(
      "SELECT l_orderkey, l_extendedprice, l_shipdate FROM lineitem WHERE l_extendedprice > :extended_price AND l_shipdate > :ship_date ORDER BY l_orderkey LIMIT :row_limit",
      {
        catalog: "samples",
        schema: "tpch",
        parameters: [
          { name: "extended_price", value: "60000", type: "DECIMAL(18,2)" },
          { name: "ship_date", value: "1994-01-01", type: "DATE" },
          { name: "row_limit", value: "2", type: "INT" },
        ],
      },
    );
    expect(res.status, JSON.stringify(await control("requests"))).toBe(200);
    expect(res.body).toMatchObject({
      status: { state: "SUCCEEDED" },
      manifest: { format: "JSON_ARRAY", schema: { column_count: 3, columns: [{ name: "l_orderkey" }, { name: "l_extendedprice", type_name: "DECIMAL" }, { name: "l_shipdate", type_name: "DATE" }] }, total_row_count: 2 },
      result: { chunk_index: 0, row_offset: 0, row_count: 2, data_array: [["1", "70000.50"], ["3", "90000.00"]].map((r, i) => [...r, ["1994-06-01", "1994-08-01"][i]]) },
    });
  });

  it("wait_timeout 0s answers PENDING with a statement_id; GET polls it to SUCCEEDED; results come in chunks", async () => {
    await control("faults", { running_polls: 1, chunk_rows: 2 });
    const submitted = await run("SELECT l_orderkey FROM samples.tpch.lineitem ORDER BY 1", { wait_timeout: "0s" });
    expect(submitted.body).toMatchObject({ status: { state: "PENDING" }, statement_id: expect.any(String) });
    const id = submitted.body.statement_id;
    expect((await api("GET", `/api/2.0/sql/statements/${id}`)).body.status.state).toBe("RUNNING");
    const done = await api("GET", `/api/2.0/sql/statements/${id}`);
    expect(done.body).toMatchObject({ status: { state: "SUCCEEDED" }, manifest: { total_chunk_count: 2, total_row_count: 4 }, result: { data_array: [["1"], ["2"]], next_chunk_index: 1 } });
    expect((await api("GET", `/api/2.0/sql/statements/${id}/result/chunks/1`)).body.data_array).toEqual([["3"], ["4"]]);
    await control("faults", {});
  });

  it("a stopped warehouse keeps statements PENDING while it starts", async () => {
    await control("warehouses", { id: "cold0123456789ab", starting_polls: 3 });
    const submitted = await run("SELECT 1 AS one", { warehouse_id: "cold0123456789ab", wait_timeout: "5s" });
    expect(submitted.body.status.state).toBe("PENDING");
    const states = [];
    for (let i = 0; i < 2; i++) states.push((await api("GET", `/api/2.0/sql/statements/${submitted.body.statement_id}`)).body.status.state);
    expect(states).toEqual(["PENDING", "SUCCEEDED"]);
  });

  it("OAuth M2M: client credentials at /oidc/v1/token give a bearer the API accepts; a wrong secret is invalid_client", async () => {
    const token = async (secret: string) => {
      const res = await fetch(`${base}/oidc/v1/token`, {
        method: "POST",
        headers: { Authorization: `Basic ${Buffer.from(`sp-client:${secret}`).toString("base64")}`, "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-Host": DATABRICKS_TEST_HOST },
        body: "grant_type=client_credentials&scope=all-apis",
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const good = await token("sp-secret");
    expect(good.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "all-apis" });
    expect((await run("SELECT 1 AS one", {}, good.body.access_token)).body.status.state).toBe("SUCCEEDED");
    expect(await token("nope")).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    expect(await run("SELECT 1 AS one", {}, "dapi-unknown")).toMatchObject({ status: 401, body: { error_code: "UNAUTHENTICATED" } });
  });

  it("SQL errors are 200 FAILED with the Spark error class; request errors are 4xx error_code bodies", async () => {
    const missing = await run("SELECT * FROM samples.tpch.nope");
    expect(missing).toMatchObject({ status: 200, body: { status: { state: "FAILED", error: { message: expect.stringContaining("[TABLE_OR_VIEW_NOT_FOUND]") } } } });
    const unknown = await run("SELECT json_extract_string('{}', '$.a')");
    expect(unknown.body.status.error.message).toContain("[UNRESOLVED_ROUTINE]");
    const unbound = await run("SELECT :nope AS x");
    expect(unbound.body.status.error.message).toContain("[UNBOUND_SQL_PARAMETER]");
    const readOnly = await run("CREATE TABLE IF NOT EXISTS samples.tpch.x (a STRING) USING DELTA", {}, "dapi-readonly");
    expect(readOnly.body.status.error.message).toContain("[INSUFFICIENT_PERMISSIONS]");
    expect(await run("SELECT 1", { wait_timeout: "60s" })).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect(await run("SELECT 1", { warehouse_id: "nope" })).toMatchObject({ status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
  });

  it("stages a JSON array through posexplode(from_json) and merges it into a Delta table", async () => {
    await run("CREATE SCHEMA IF NOT EXISTS `samples`.`raw`");
    await run("CREATE TABLE IF NOT EXISTS `samples`.`raw`.`stage` (`b` STRING, `pos` BIGINT, `rec` STRING) USING DELTA");
    await run("CREATE TABLE IF NOT EXISTS `samples`.`raw`.`target` (`id` BIGINT, `name` STRING) USING DELTA");
    const rows = JSON.stringify([JSON.stringify({ id: 1, name: "a" }), JSON.stringify({ id: 1, name: "b" }), JSON.stringify({ id: 2, name: "c" })]);
    const staged = await run("INSERT INTO `samples`.`raw`.`stage` (`b`, `pos`, `rec`) SELECT :batch, r.pos, r.col FROM posexplode(from_json(:rows, 'ARRAY<STRING>')) AS r", {
      parameters: [{ name: "batch", value: "b1" }, { name: "rows", value: rows }],
    });
    expect(staged.body.result.data_array).toEqual([["3"]]);
    const merged = await run(
      "MERGE INTO `samples`.`raw`.`target` AS t USING (SELECT CAST(get_json_object(r.`rec`, '$.id') AS BIGINT) AS `id`, get_json_object(r.`rec`, '$.name') AS `name` FROM `samples`.`raw`.`stage` AS r WHERE r.`b` = :batch " +
        "QUALIFY row_number() OVER (PARTITION BY get_json_object(r.`rec`, '$.id') ORDER BY r.`pos` DESC) = 1) AS s ON t.`id` = s.`id` " +
        "WHEN MATCHED THEN UPDATE SET `name` = s.`name` WHEN NOT MATCHED THEN INSERT (`id`, `name`) VALUES (s.`id`, s.`name`)",
      { parameters: [{ name: "batch", value: "b1" }] },
    );
    expect(merged.body.status.state, JSON.stringify(merged.body)).toBe("SUCCEEDED");
    await run("ALTER TABLE `samples`.`raw`.`target` ADD COLUMNS (`extra` STRING, `n` DECIMAL(38,0))");
    const columns = await run("SELECT column_name, data_type FROM `samples`.information_schema.columns WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position", {
      parameters: [{ name: "s", value: "raw" }, { name: "t", value: "target" }],
    });
    expect(columns.body.result.data_array).toEqual([["id", "BIGINT"], ["name", "STRING"], ["extra", "STRING"], ["n", "DECIMAL"]]);
    expect((await control("query", { sql: 'SELECT id, name FROM "samples"."raw"."target" ORDER BY 1' })).rows).toEqual([["1", "b"], ["2", "c"]]);
  });
});
