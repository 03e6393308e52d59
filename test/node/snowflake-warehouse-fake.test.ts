/**
 * The Snowflake fake against the SQL API's documented requests (docs.snowflake.com/en/developer-guide/sql-api:
 * "Submitting a request", "Using bind variables", "Handling responses", "Authenticating"): a key-pair JWT built the
 * way the docs describe it, statements with bindings, 202 + statementStatusUrl polling, partitions, requestId replay,
 * and the compilation errors a loader must never depend on the fake to forgive.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { startSnowflakeFake } from "../fakes/snowflake/server";

let fake: RunningFake;
let base: string;
const account = "XY12345";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });

function jwt(user: string, key = privateKey, pub = publicKey, lifetime = 3540): string {
  const fp = `SHA256:${createHash("sha256").update(pub.export({ type: "spki", format: "der" })).digest("base64")}`;
  const iat = Math.floor(Date.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ iss: `${account}.${user}.${fp}`, sub: `${account}.${user}`, iat, exp: iat + lifetime })}`;
  return `${input}.${sign("RSA-SHA256", Buffer.from(input), key).toString("base64url")}`;
}

async function control(path: string, body?: unknown) {
  const res = await fetch(`${base}/_control/accounts/${account}/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json() as Promise<any>;
}

async function statement(body: Record<string, unknown>, query = "", token = jwt("LOADER")) {
  const res = await fetch(`${base}/api/v2/statements${query}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT",
      "Content-Type": "application/json",
      Accept: "application/json",
      "User-Agent": "loaders-test/1.0",
    },
    body: JSON.stringify({ timeout: 60, database: "LOADERS", schema: "PUBLIC", warehouse: "LOADERS_WH", role: "LOADER", ...body }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function get(path: string) {
  const res = await fetch(`${base}${path}`, {
    headers: { Authorization: `Bearer ${jwt("LOADER")}`, "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT", Accept: "application/json" },
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  fake = await startSnowflakeFake();
  base = `http://127.0.0.1:${fake.port}`;
  await control("users", { name: "LOADER", public_key_pem: publicPem, role: "LOADER" });
  await control("users", { name: "READER", public_key_pem: publicPem, role: "LOADER", read_only: true });
});
afterAll(async () => fake.close());

describe("Snowflake SQL API fake", () => {
  it("authenticates a documented key-pair JWT and refuses a wrong key, a missing token type and an over-long lifetime", async () => {
    expect((await statement({ statement: "SELECT 1" })).status).toBe(200);
    const wrongKey = await statement({ statement: "SELECT 1" }, "", jwt("LOADER", other.privateKey, publicKey));
    expect(wrongKey).toMatchObject({ status: 401, body: { code: "390144", message: "JWT token is invalid." } });
    const wrongFingerprint = await statement({ statement: "SELECT 1" }, "", jwt("LOADER", other.privateKey, other.publicKey));
    expect(wrongFingerprint.status).toBe(401);
    expect((await statement({ statement: "SELECT 1" }, "", jwt("LOADER", privateKey, publicKey, 7200))).status).toBe(401);
    const res = await fetch(`${base}/api/v2/statements`, {
      method: "POST",
      headers: { Authorization: `Bearer ${jwt("LOADER")}`, "Content-Type": "application/json" },
      body: JSON.stringify({ statement: "SELECT 1" }),
    });
    expect(res.status).toBe(401);
  });

  it("runs the documented bindings example and answers a ResultSet of strings with rowType", async () => {
    await statement({ statement: 'CREATE TABLE IF NOT EXISTS "LOADERS"."PUBLIC"."T1" ("C1" NUMBER(38,0), "C2" VARCHAR, "C3" VARIANT)' });
    const insert = await statement({
      statement: 'INSERT INTO "LOADERS"."PUBLIC"."T1" ("C1", "C2", "C3") SELECT ?, ?, PARSE_JSON(?)',
      bindings: { "1": { type: "FIXED", value: "123" }, "2": { type: "TEXT", value: "teststring" }, "3": { type: "TEXT", value: '{"a":[1,2]}' } },
    });
    expect(insert.body.data, JSON.stringify(insert.body)).toEqual([["1"]]);
    const select = await statement({ statement: 'SELECT "C1", "C2", "C3" FROM "LOADERS"."PUBLIC"."T1" WHERE "C1" = ?', bindings: { "1": { type: "FIXED", value: "123" } } });
    expect(select.status).toBe(200);
    expect(select.body).toMatchObject({
      code: "090001",
      sqlState: "00000",
      data: [["123", "teststring", '{"a":[1,2]}']],
      resultSetMetaData: { numRows: 1, format: "jsonv2", rowType: [{ name: "C1", type: "fixed", scale: 0 }, { name: "C2", type: "text" }, { name: "C3", type: "variant" }] },
    });
    expect(select.body.statementHandle).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 202 (333334) with a statementStatusUrl while running, then the result on GET; results come in partitions", async () => {
    await control("faults", { async_polls: 2, partition_rows: 2 });
    const first = await statement({ statement: "SELECT 1 AS A UNION ALL SELECT 2 UNION ALL SELECT 3 ORDER BY 1" });
    expect(first).toMatchObject({ status: 202, body: { code: "333334" } });
    expect((await get(first.body.statementStatusUrl)).status).toBe(202);
    const done = await get(first.body.statementStatusUrl);
    expect(done).toMatchObject({ status: 200, body: { data: [["1"], ["2"]], resultSetMetaData: { numRows: 3, partitionInfo: [{ rowCount: 2 }, { rowCount: 1 }] } } });
    expect((await get(`/api/v2/statements/${first.body.statementHandle}?partition=1`)).body.data).toEqual([["3"]]);
    await control("faults", {});
  });

  it("a requestId resubmitted with retry=true is answered from the first execution, never run twice", async () => {
    await statement({ statement: 'CREATE TABLE IF NOT EXISTS "LOADERS"."PUBLIC"."T2" ("ID" NUMBER(38,0))' });
    const requestId = "5f0a3c8e-1b2d-4e6f-8a9b-0c1d2e3f4a5b";
    const sql = { statement: 'INSERT INTO "LOADERS"."PUBLIC"."T2" ("ID") SELECT ?', bindings: { "1": { type: "FIXED", value: "7" } } };
    expect((await statement(sql, `?requestId=${requestId}`)).body.data).toEqual([["1"]]);
    expect((await statement(sql, `?requestId=${requestId}&retry=true`)).body.data).toEqual([["1"]]);
    const count = await control("query", { sql: 'SELECT count(*) AS n FROM "LOADERS"."PUBLIC"."T2"' });
    expect(count.rows).toEqual([["1"]]);
    const log = (await control("requests")).statements.filter((s: any) => s.requestId === requestId);
    expect(log.map((s: any) => [s.executed, s.replayed])).toEqual([[true, false], [false, true]]);
  });

  it("stages JSON through FLATTEN, merges with QUALIFY, swaps tables atomically", async () => {
    const t = '"LOADERS"."PUBLIC"';
    await statement({ statement: `CREATE TRANSIENT TABLE IF NOT EXISTS ${t}."STAGE" ("B" VARCHAR, "I" NUMBER(38,0), "R" VARIANT)` });
    await statement({ statement: `CREATE TABLE IF NOT EXISTS ${t}."TARGET" ("ID" NUMBER(38,0), "NAME" VARCHAR, "TAGS" VARIANT)` });
    const staged = await statement({
      statement: `INSERT INTO ${t}."STAGE" ("B", "I", "R") SELECT ?, f.INDEX, f.VALUE FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) f`,
      bindings: { "1": { type: "TEXT", value: "b1" }, "2": { type: "TEXT", value: JSON.stringify([{ ID: 1, NAME: "a", TAGS: [1] }, { ID: 1, NAME: "b", TAGS: null }, { ID: 2, NAME: "c" }]) } },
    });
    expect(staged.body.data, JSON.stringify(staged.body)).toEqual([["3"]]);
    const merged = await statement({
      statement:
        `MERGE INTO ${t}."TARGET" AS t USING (SELECT r."R":"ID"::NUMBER(38,0) AS "ID", r."R":"NAME"::VARCHAR AS "NAME", STRIP_NULL_VALUE(r."R":"TAGS") AS "TAGS" FROM ${t}."STAGE" r ` +
        `WHERE r."B" IN (?) QUALIFY ROW_NUMBER() OVER (PARTITION BY r."R":"ID"::NUMBER(38,0) ORDER BY r."I" DESC) = 1) AS s ON t."ID" = s."ID" ` +
        `WHEN MATCHED THEN UPDATE SET "NAME" = s."NAME", "TAGS" = s."TAGS" WHEN NOT MATCHED THEN INSERT ("ID", "NAME", "TAGS") VALUES (s."ID", s."NAME", s."TAGS")`,
      bindings: { "1": { type: "TEXT", value: "b1" } },
    });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect((await control("query", { sql: `SELECT "ID", "NAME", "TAGS" FROM ${t}."TARGET" ORDER BY 1` })).rows).toEqual([["1", "b", null], ["2", "c", null]]);
    await statement({ statement: `CREATE TABLE IF NOT EXISTS ${t}."ASIDE" ("ID" NUMBER(38,0))` });
    expect((await statement({ statement: `ALTER TABLE ${t}."TARGET" SWAP WITH ${t}."ASIDE"` })).status).toBe(200);
    expect((await control("query", { sql: `SELECT count(*) FROM ${t}."ASIDE"` })).rows).toEqual([["2"]]);
    expect((await control("query", { sql: `SELECT count(*) FROM ${t}."TARGET"` })).rows).toEqual([["0"]]);
  });

  it("refuses what Snowflake refuses and what the fake does not know, with Snowflake's error bodies", async () => {
    const valuesParse = await statement({ statement: 'INSERT INTO "LOADERS"."PUBLIC"."T1" ("C3") VALUES (PARSE_JSON(?))', bindings: { "1": { type: "TEXT", value: "{}" } } });
    expect(valuesParse).toMatchObject({ status: 422, body: { code: "002014", message: expect.stringContaining("Invalid expression") } });
    const unknownFn = await statement({ statement: "SELECT JSON_EXTRACT_STRING('{}', '$.a')" });
    expect(unknownFn).toMatchObject({ status: 422, body: { code: "002140", message: expect.stringContaining("Unknown function JSON_EXTRACT_STRING") } });
    const form = await statement({ statement: "COPY INTO x FROM @stage" });
    expect(form).toMatchObject({ status: 422, body: { code: "001003", sqlState: "42000" } });
    const missing = await statement({ statement: 'SELECT * FROM "LOADERS"."PUBLIC"."NOPE"' });
    expect(missing).toMatchObject({ status: 422, body: { code: "002003", sqlState: "42S02" } });
    const readOnly = await statement({ statement: 'CREATE TABLE IF NOT EXISTS "LOADERS"."PUBLIC"."X" ("A" VARCHAR)' }, "", jwt("READER"));
    expect(readOnly).toMatchObject({ status: 422, body: { code: "003001" } });
    const noWarehouse = await statement({ statement: "SELECT 1", warehouse: "OTHER_WH" });
    expect(noWarehouse).toMatchObject({ status: 422, body: { code: "390201" } });
  });
});
