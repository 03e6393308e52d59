/**
 * The BigQuery fake against Google's own client (`@google-cloud/bigquery`, with google-auth-library's service-account
 * JWT flow; the token request is sent to the fake through a transporter, since the token URL is hard-coded there)
 * and against raw REST calls for what the client does not expose: multipart load uploads with a caller job id, 409 on
 * reuse, locations, table patches, copy jobs and injected quota errors.
 */
import { BigQuery } from "@google-cloud/bigquery";
import { Gaxios } from "gaxios";
import { JWT } from "google-auth-library";
import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBigQueryFake } from "../fakes/bigquery/server";
import type { RunningFake } from "../fakes/index";

let fake: RunningFake;
let base: string;
const project = "loaders-test";
const email = "loader@loaders-test.iam.gserviceaccount.com";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });

/** A transporter that sends the token request, which google-auth-library addresses to Google, to the fake. */
class FakeTokenTransporter extends Gaxios {
  override request<T>(options: any) {
    const url = String(options.url);
    if (url.startsWith("https://oauth2.googleapis.com/")) options = { ...options, url: url.replace("https://oauth2.googleapis.com", base) };
    return super.request<T>(options);
  }
}

function client(key = privatePem) {
  const authClient = new JWT({ email, key, scopes: ["https://www.googleapis.com/auth/bigquery"], transporter: new FakeTokenTransporter() });
  return new BigQuery({ projectId: project, apiEndpoint: base, authClient } as any);
}

async function token(key = privateKey, claims: Record<string, unknown> = {}) {
  const iat = Math.floor(Date.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ iss: email, scope: "https://www.googleapis.com/auth/bigquery", aud: "https://oauth2.googleapis.com/token", iat, exp: iat + 3600, ...claims })}`;
  const assertion = `${input}.${sign("RSA-SHA256", Buffer.from(input), key).toString("base64url")}`;
  const res = await fetch(`${base}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function rest(method: string, path: string, body?: unknown, bearer?: string, headers: Record<string, string> = {}, raw?: Buffer) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(raw ? {} : { "content-type": "application/json" }), ...headers },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
}

function multipartLoad(jobId: string, table: Record<string, string>, rows: object[], extra: Record<string, unknown> = {}) {
  const boundary = "loaders_boundary";
  const meta = JSON.stringify({ jobReference: { projectId: project, jobId, location: "EU" }, configuration: { load: { sourceFormat: "NEWLINE_DELIMITED_JSON", destinationTable: table, ...extra } } });
  const data = rows.map((r) => JSON.stringify(r)).join("\n");
  const body = Buffer.from(`--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${meta}\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n${data}\r\n--${boundary}--\r\n`);
  return { body, headers: { "content-type": `multipart/related; boundary=${boundary}` } };
}

beforeAll(async () => {
  fake = await startBigQueryFake();
  base = `http://127.0.0.1:${fake.port}`;
  await fetch(`${base}/_control/service-accounts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_email: email, public_key_pem: publicKey.export({ type: "spki", format: "pem" }), projects: { [project]: "editor" } }),
  });
});
afterAll(async () => fake.close());

describe("BigQuery REST fake", () => {
  it("serves @google-cloud/bigquery: datasets, tables with schemas, a MERGE query, results, metadata patch, copy", async () => {
    const bq = client();
    const [dataset] = await bq.createDataset("client_ds", { location: "EU" });
    expect(dataset.id).toBe("client_ds");
    const [table] = await dataset.createTable("people", { schema: { fields: [{ name: "id", type: "INT64" }, { name: "name", type: "STRING" }, { name: "meta", type: "JSON" }] } });
    const [metadata] = await table.getMetadata();
    expect(metadata.schema.fields.map((f: any) => [f.name, f.type])).toEqual([["id", "INTEGER"], ["name", "STRING"], ["meta", "JSON"]]);
    await bq.query({ query: "INSERT INTO `loaders-test.client_ds.people` (id, name) VALUES (1, 'a'), (2, 'b')", location: "EU" });
    await bq.query({
      query:
        "MERGE INTO `loaders-test.client_ds.people` AS t USING (SELECT 2 AS id, @name AS name) AS s ON t.id = s.id " +
        "WHEN MATCHED THEN UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)",
      params: { name: "B" },
      location: "EU",
    });
    const [rows] = await bq.query({ query: "SELECT id, name FROM `loaders-test.client_ds.people` ORDER BY id", location: "EU" });
    expect(rows).toEqual([{ id: 1, name: "a" }, { id: 2, name: "B" }]);
    await table.setMetadata({ schema: { fields: [...metadata.schema.fields, { name: "extra", type: "STRING", mode: "NULLABLE" }] } });
    expect((await table.getMetadata())[0].schema.fields.map((f: any) => f.name)).toEqual(["id", "name", "meta", "extra"]);
    const [copyJob] = await table.createCopyJob(dataset.table("people_copy"), { writeDisposition: "WRITE_TRUNCATE" });
    await copyJob.promise();
    const [copied] = await bq.query({ query: "SELECT count(*) AS n FROM `loaders-test.client_ds.people_copy`", location: "EU" });
    expect(copied).toEqual([{ n: 2 }]);
    const [job] = await bq.createQueryJob({ query: "SELECT 1 AS one", jobId: "fixed_job_1", location: "EU" });
    expect(job.id).toBe("fixed_job_1");
    await expect(bq.createQueryJob({ query: "SELECT 1 AS one", jobId: "fixed_job_1", location: "EU" })).rejects.toThrow(/Already Exists/);
  });

  it("verifies the service-account assertion: a wrong key or over-long lifetime is invalid_grant, an unknown token is 401", async () => {
    expect((await token()).body).toMatchObject({ token_type: "Bearer", expires_in: 3599 });
    expect(await token(stranger.privateKey)).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: "Invalid JWT Signature." } });
    expect((await token(privateKey, { exp: Math.floor(Date.now() / 1000) + 7200 })).body.error).toBe("invalid_grant");
    await expect(client(stranger.privateKey.export({ type: "pkcs8", format: "pem" }).toString()).getDatasets()).rejects.toThrow(/invalid_grant|Signature/);
    const denied = await rest("GET", `/bigquery/v2/projects/${project}/datasets/client_ds`, undefined, "ya29.not-a-token");
    expect(denied).toMatchObject({ status: 401, body: { error: { status: "UNAUTHENTICATED", errors: [{ reason: "authError" }] } } });
  });

  it("loads multipart NDJSON under a caller job id once: reuse is 409 Already Exists, and the rows are there once", async () => {
    const bearer = (await token()).body.access_token;
    await rest("POST", `/bigquery/v2/projects/${project}/datasets`, { datasetReference: { projectId: project, datasetId: "load_ds" }, location: "EU" }, bearer);
    const table = { projectId: project, datasetId: "load_ds", tableId: "events" };
    const schema = { fields: [{ name: "id", type: "INT64" }, { name: "at", type: "TIMESTAMP" }, { name: "doc", type: "JSON" }] };
    const rows = [{ id: 1, at: "2024-01-01T00:00:00Z", doc: { a: [1, 2] } }, { id: 2, at: "2024-01-02T00:00:00.500Z" }];
    const upload = multipartLoad("load_chunk_1", table, rows, { schema, writeDisposition: "WRITE_APPEND" });
    const first = await rest("POST", `/upload/bigquery/v2/projects/${project}/jobs?uploadType=multipart`, undefined, bearer, upload.headers, upload.body);
    expect(first).toMatchObject({ status: 200, body: { jobReference: { jobId: "load_chunk_1", location: "EU" }, status: { state: "DONE" } } });
    const again = await rest("POST", `/upload/bigquery/v2/projects/${project}/jobs?uploadType=multipart`, undefined, bearer, upload.headers, upload.body);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 409, status: "ALREADY_EXISTS", errors: [{ reason: "duplicate" }] } } });
    const count = await rest("POST", `/bigquery/v2/projects/${project}/queries`, { query: "SELECT id, doc FROM `loaders-test.load_ds.events` ORDER BY id", useLegacySql: false, location: "EU" }, bearer);
    expect(count.body.rows).toEqual([{ f: [{ v: "1" }, { v: '{"a":[1,2]}' }] }, { f: [{ v: "2" }, { v: null }] }]);
    const wrongLocation = await rest("GET", `/bigquery/v2/projects/${project}/jobs/load_chunk_1?location=US`, undefined, bearer);
    expect(wrongLocation.status).toBe(404);
    const unknownField = multipartLoad("load_chunk_2", table, [{ id: 3, nope: 1 }]);
    const bad = await rest("POST", `/upload/bigquery/v2/projects/${project}/jobs?uploadType=multipart`, undefined, bearer, unknownField.headers, unknownField.body);
    expect(bad.body.status).toMatchObject({ state: "DONE", errorResult: { reason: "invalid", message: expect.stringContaining("No such field: nope") } });
  });

  it("patches add NULLABLE fields only, advances job states over polls, and injects rateLimitExceeded / quotaExceeded", async () => {
    const bearer = (await token()).body.access_token;
    const tablePath = `/bigquery/v2/projects/${project}/datasets/load_ds/tables/events`;
    const changed = await rest("PATCH", tablePath, { schema: { fields: [{ name: "id", type: "STRING" }, { name: "at", type: "TIMESTAMP" }, { name: "doc", type: "JSON" }] } }, bearer);
    expect(changed).toMatchObject({ status: 400, body: { error: { errors: [{ reason: "invalid" }], message: expect.stringContaining("has changed type") } } });
    const dropped = await rest("PATCH", tablePath, { schema: { fields: [{ name: "id", type: "INTEGER" }] } }, bearer);
    expect(dropped.body.error.message).toContain("missing in new schema");
    await fetch(`${base}/_control/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rate_limit: 1, quota: 1, job_polls: 2 }) });
    const query = { configuration: { query: { query: "SELECT 1 AS x", useLegacySql: false } }, jobReference: { jobId: "polled_1", location: "EU" } };
    const limited = await rest("POST", `/bigquery/v2/projects/${project}/jobs`, query, bearer);
    expect(limited).toMatchObject({ status: 403, body: { error: { errors: [{ reason: "rateLimitExceeded" }] } } });
    const quota = await rest("POST", `/bigquery/v2/projects/${project}/jobs`, query, bearer);
    expect(quota).toMatchObject({ status: 403, body: { error: { errors: [{ reason: "quotaExceeded" }] } } });
    expect((await rest("POST", `/bigquery/v2/projects/${project}/jobs`, query, bearer)).body.status.state).toBe("PENDING");
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await rest("GET", `/bigquery/v2/projects/${project}/jobs/polled_1?location=EU`, undefined, bearer)).body.status.state);
    expect(states).toEqual(["PENDING", "RUNNING", "DONE"]);
    await fetch(`${base}/_control/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const unknown = await rest("POST", `/bigquery/v2/projects/${project}/queries`, { query: "SELECT JSON_EXTRACT_STRING('{}', '$.a')", useLegacySql: false, location: "EU" }, bearer);
    expect(unknown).toMatchObject({ status: 400, body: { error: { errors: [{ reason: "invalidQuery" }], message: expect.stringContaining("Function not found") } } });
    const qualify = await rest("POST", `/bigquery/v2/projects/${project}/queries`, { query: "SELECT 1 AS x QUALIFY ROW_NUMBER() OVER () = 1", useLegacySql: false, location: "EU" }, bearer);
    expect(qualify.body.error.message).toContain("QUALIFY clause must be used in conjunction with WHERE");
    const otherProject = await rest("POST", `/bigquery/v2/projects/someone-else/datasets`, { datasetReference: { projectId: "someone-else", datasetId: "x" } }, bearer);
    expect(otherProject).toMatchObject({ status: 403, body: { error: { errors: [{ reason: "accessDenied" }] } } });
  });
});
