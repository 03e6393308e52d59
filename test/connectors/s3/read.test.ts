/**
 * The s3 reader's listing, addressing, signing, errors, incremental rules and resume points, against the run's S3
 * server (test/fakes/s3), which checks every SigV4 signature over the production host. The requests the reader
 * sent are asserted from the server's log.
 */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../connectors/kit/contract";
import { s3Connector } from "../../../connectors/s3";
import { globToRegExp, literalPrefix } from "../../../connectors/s3/glob";
import {
  ACCESS_KEY_ID,
  MINIO_HOST,
  NO_ACCESS_KEY_ID,
  NO_ACCESS_SECRET,
  R2_ACCOUNT_HOST,
  SESSION_KEY_ID,
  SESSION_SECRET,
  SESSION_TOKEN,
  generatedRow,
} from "../../fakes/s3/fixtures";
import { connectorContext, fakePort, readPages } from "../../helpers/connector";
import { dataOf, readAll, records, s3Config, s3Context, streamRequest, testBucket } from "./harness";

describe("globs", () => {
  const matches = (glob: string, keys: string[]) => keys.filter((k) => globToRegExp(glob).test(k));
  it("match * within a segment, ** across segments, ?, {a,b} and sets", () => {
    const keys = ["a.csv", "x/a.csv", "x/y/a.csv", "x/y/b.csv.gz", "x/b.json", "a1.csv", "ab.csv", "a b/ü.csv"];
    expect(matches("*.csv", keys)).toEqual(["a.csv", "a1.csv", "ab.csv"]);
    expect(matches("**/*.csv", keys)).toEqual(["a.csv", "x/a.csv", "x/y/a.csv", "a1.csv", "ab.csv", "a b/ü.csv"]);
    expect(matches("x/**/*.{csv,csv.gz}", keys)).toEqual(["x/a.csv", "x/y/a.csv", "x/y/b.csv.gz"]);
    expect(matches("a?.csv", keys)).toEqual(["a1.csv", "ab.csv"]);
    expect(matches("a[!b].csv", keys)).toEqual(["a1.csv"]);
    expect(matches("x/*", keys)).toEqual(["x/a.csv", "x/b.json"]);
    expect(matches("**", keys)).toEqual(keys);
    expect(literalPrefix("x/y/*.csv")).toBe("x/y/");
    expect(() => globToRegExp("{a,b")).toThrow(/unclosed/);
    expect(() => s3Config("b-1", [{ name: "s", format: "csv", glob: "x/{a" }])).toThrow(/unclosed/);
  });
});

describe("s3 listing", () => {
  it("pages through ListObjectsV2 with continuation tokens, keeping the glob's matches in (LastModified, key) order", async () => {
    const bucket = await testBucket();
    const keys = Array.from({ length: 1002 }, (_, i) => `logs/2026/${String(i).padStart(4, "0")}.jsonl`);
    await bucket.putMany(keys.map((key, i) => ({ key, body: `{"n": ${i}}\n`, last_modified: "2026-01-01T00:00:00Z" })));
    await bucket.put("logs/2026/late.jsonl", '{"n": "late"}\n', { lastModified: "2025-12-31T00:00:00Z" });
    await bucket.put("logs/2026/skip.csv", "a\n1\n");
    await bucket.put("other/x.jsonl", '{"n": "other"}\n');
    await bucket.clearRequests();
    const config = s3Config(bucket.name, [{ name: "logs", format: "jsonl", glob: "logs/**/*.jsonl" }]);
    const rows = records(await readAll(config, "logs"));
    // The object dated earliest comes first, then the others by key.
    expect(rows.map((r) => r.n)).toEqual(["late", ...keys.map((_, i) => i)]);
    const lists = (await bucket.requests()).filter((r) => r.query["list-type"] === "2");
    expect(lists.map((r) => [r.query.prefix, r.query["max-keys"], r.query["continuation-token"] !== undefined])).toEqual([
      ["logs/", "1000", false],
      ["logs/", "1000", true],
    ]);
  });

  it("reads keys with spaces, non-ASCII and reserved characters", async () => {
    const bucket = await testBucket();
    const key = "reports/Q1 2026/ventes é€ #1+2 (final)!.csv";
    await bucket.put(key, "a,b\n1,2\n");
    await bucket.clearRequests();
    const rows = records(await readAll(s3Config(bucket.name, [{ name: "r", format: "csv" }], { prefix: "reports/Q1 2026/" }), "r"));
    expect(rows).toEqual([{ a: 1, b: 2, _s3_key: key, _s3_row: 1, _s3_last_modified: expect.any(String) }]);
    const [list, get] = await bucket.requests();
    expect(list!.query.prefix).toBe("reports/Q1 2026/");
    expect(get!.path).toBe("/reports/Q1%202026/ventes%20%C3%A9%E2%82%AC%20%231%2B2%20%28final%29%21.csv");
  });
});

describe("s3 addressing and credentials", () => {
  const read = (config: ReturnType<typeof s3Config>) => readAll(config, "f");
  const stream = [{ name: "f", format: "csv" as const }];

  it("addresses AWS virtual-hosted by default and path style on request, in the bucket's region", async () => {
    const bucket = await testBucket("aws", "eu-west-1");
    await bucket.put("f.csv", "a\n1\n");
    await read(s3Config(bucket.name, stream, { region: "eu-west-1" }));
    await read(s3Config(bucket.name, stream, { region: "eu-west-1", force_path_style: true }));
    const log = await bucket.requests();
    expect(log.map((r) => [r.host, r.path])).toEqual([
      [`${bucket.name}.s3.eu-west-1.amazonaws.com`, "/"],
      [`${bucket.name}.s3.eu-west-1.amazonaws.com`, "/f.csv"],
      ["s3.eu-west-1.amazonaws.com", `/${bucket.name}/`],
      ["s3.eu-west-1.amazonaws.com", `/${bucket.name}/f.csv`],
    ]);
    expect(log[0]!.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/\\d{8}/eu-west-1/s3/aws4_request, SignedHeaders=`));
    // The wrong region is a configuration error that says which one is right.
    await expect(read(s3Config(bucket.name, stream, { region: "us-east-1" }))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("set region to eu-west-1"),
    });
  });

  it("reads R2 with region auto, MinIO path style and a local endpoint, and temporary credentials", async () => {
    const bucket = await testBucket("r2", "auto");
    await bucket.put("f.csv", "a\n1\n");
    const r2 = `https://${R2_ACCOUNT_HOST}`;
    expect(records(await read(s3Config(bucket.name, stream, { region: "auto", endpoint: r2 })))).toHaveLength(1);
    await read(s3Config(bucket.name, stream, { region: "auto", endpoint: r2, force_path_style: true }));
    await read(s3Config(bucket.name, stream, { region: "auto", endpoint: `https://${MINIO_HOST}`, force_path_style: true }));
    await read(s3Config(bucket.name, stream, { region: "auto", endpoint: `http://127.0.0.1:${fakePort("s3")}`, force_path_style: true }));
    const session = { access_key_id: SESSION_KEY_ID, secret_access_key: SESSION_SECRET, session_token: SESSION_TOKEN };
    await read(s3Config(bucket.name, stream, { region: "auto", endpoint: r2, ...session }));
    const log = (await bucket.requests()).filter((r) => r.key === "f.csv");
    expect(log.map((r) => [r.host, r.path])).toEqual([
      [`${bucket.name}.${R2_ACCOUNT_HOST}`, "/f.csv"],
      [R2_ACCOUNT_HOST, `/${bucket.name}/f.csv`],
      [MINIO_HOST, `/${bucket.name}/f.csv`],
      [`127.0.0.1:${fakePort("s3")}`, `/${bucket.name}/f.csv`],
      [`${bucket.name}.${R2_ACCOUNT_HOST}`, "/f.csv"],
    ]);
    expect(log.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(log[4]!.headers["x-amz-security-token"]).toBe(SESSION_TOKEN);
    expect(log[4]!.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
    await expect(read(s3Config(bucket.name, stream, { region: "auto", endpoint: r2, ...session, session_token: undefined }))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("session_token"),
    });
  });

  it("a wrong secret, an unknown key and a key without access are configuration errors naming the bucket and what to check", async () => {
    const bucket = await testBucket();
    const { ctx } = s3Context();
    await expect(s3Connector.check(ctx, s3Config(bucket.name, stream))).resolves.toBeUndefined();
    await expect(s3Connector.check(ctx, s3Config(bucket.name, stream, { secret_access_key: "not-the-secret" }))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringMatching(new RegExp(`bucket "${bucket.name}".*signature was rejected: check that secret_access_key`)),
    });
    await expect(s3Connector.check(ctx, s3Config(bucket.name, stream, { access_key_id: "AKIAUNKNOWNEXAMPLE00" }))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("check access_key_id"),
    });
    await expect(s3Connector.check(ctx, s3Config(bucket.name, stream, { access_key_id: NO_ACCESS_KEY_ID, secret_access_key: NO_ACCESS_SECRET }))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining(`s3:ListBucket on arn:aws:s3:::${bucket.name}`),
    });
    await expect(s3Connector.check(ctx, s3Config("no-such-bucket-here", stream))).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("no such bucket") });
    // The secret never appears in a message.
    const failure = await s3Connector.check(ctx, s3Config(bucket.name, stream, { secret_access_key: "not-the-secret" })).catch((e: Error) => e);
    expect(String((failure as Error).message)).not.toContain("not-the-secret");
  });

  it("retries SlowDown and 5xx answers, and a body cut mid-transfer is retryable", async () => {
    const bucket = await testBucket();
    await bucket.generateCsv("g.csv", 300);
    await bucket.faults([
      { op: "list", status: 503, code: "SlowDown", times: 2 },
      { op: "get", status: 500, code: "InternalError", times: 1 },
    ]);
    const { ctx, sleeps } = connectorContext();
    const config = s3Config(bucket.name, [{ name: "g", format: "csv" }]);
    const rows = records(await readPages(s3Connector, ctx, config, streamRequest(config, "g")));
    expect(rows).toHaveLength(300);
    expect(sleeps).toHaveLength(3);
    expect((await bucket.requests()).map((r) => r.status)).toEqual([503, 503, 200, 500, 200]);
    await bucket.faults([{ op: "get", cut_after_bytes: 5000, times: 1 }]);
    // The engine retries the chunk from its last checkpoint (test/engine: a consumer killed mid-file).
    await expect(readAll(config, "g")).rejects.toMatchObject({ kind: "retryable", message: expect.stringContaining("lost while reading the body") });
  });
});

describe("s3 resume points", () => {
  it("resumes a plain CSV with a byte Range after the header read again, and a gzip one by counting rows", async () => {
    const bucket = await testBucket();
    const plain = await bucket.generateCsv("p.csv", 2500);
    await bucket.generateCsv("z.csv.gz", 2500, { gzip: true });
    const config = s3Config(bucket.name, [{ name: "p", format: "csv", glob: "p.csv" }, { name: "z", format: "csv", glob: "z.csv.gz" }]);
    for (const name of ["p", "z"]) {
      const full = await readAll(config, name);
      expect(full.map((p) => p.records.length)).toEqual([1000, 1000, 500]);
      await bucket.clearRequests();
      const resumed = records(await readAll(config, name, "full_refresh", null, full[1]!.checkpoint));
      expect(resumed.map((r) => r._s3_row)).toEqual(Array.from({ length: 500 }, (_, i) => 2001 + i));
      expect(dataOf(resumed)[0]).toMatchObject({ id: 2001, label: generatedRow(2001).label });
      const gets = (await bucket.requests()).filter((r) => r.key);
      if (name === "p") {
        const { file } = full[1]!.checkpoint as { file: { offset: number; header_end: number } };
        expect(gets.map((r) => r.headers.range)).toEqual([`bytes=0-${file.header_end - 1}`, `bytes=${file.offset}-`]);
        expect(file.offset).toBeLessThan(plain.size);
      } else {
        expect(gets.map((r) => r.headers.range)).toEqual([undefined]);
      }
    }
  });

  it("restarts an object whose ETag changed under the checkpoint, and one re-written while it is read", async () => {
    const bucket = await testBucket();
    await bucket.generateCsv("c.csv", 2500, { lastModified: "2026-01-01T00:00:00Z" });
    const config = s3Config(bucket.name, [{ name: "c", format: "csv", glob: "c.csv" }, { name: "q", format: "parquet", glob: "q.parquet" }]);
    const first = await readAll(config, "c");
    await bucket.put("c.csv", "id,label\n1,new\n", { lastModified: "2026-01-02T00:00:00Z" });
    const after = records(await readAll(config, "c", "full_refresh", null, first[0]!.checkpoint));
    expect(after.map((r) => [r._s3_row, r.label])).toEqual([[1, "new"]]);

    // Parquet reads a row group per range request (DuckDB cuts groups at multiples of 2,048 rows): the object is
    // re-written between two of them.
    await bucket.parquet("q.parquet", "select i as id, 'old' as v from range(0, 5000) t(i)", { rowGroupSize: 2048, lastModified: "2026-01-01T00:00:00Z" });
    const { ctx } = s3Context();
    const pages = s3Connector.read(ctx, config, streamRequest(config, "q"))[Symbol.asyncIterator]();
    const one = await pages.next();
    expect(one.value.records).toHaveLength(1000);
    await bucket.parquet("q.parquet", "select i as id, 'new' as v from range(0, 3) t(i)", { lastModified: "2026-01-02T00:00:00Z" });
    const rest: Record<string, unknown>[] = [];
    for (let next = await pages.next(); !next.done; next = await pages.next()) rest.push(...next.value.records);
    // The rest of the row group already read, then the new version from its start: its rows replace the old ones by key.
    expect(rest.map((r) => [r._s3_row, r.v])).toEqual([...Array.from({ length: 1048 }, (_, i) => [1001 + i, "old"]), [1, "new"], [2, "new"], [3, "new"]]);
    expect((await bucket.requests()).some((r) => r.status === 412)).toBe(true);
  });
});

describe("s3 incremental", () => {
  it("reads new, re-written and same-second objects once, and nothing when nothing changed", async () => {
    const bucket = await testBucket();
    await bucket.put("d/a.csv", "v\n1\n", { lastModified: "2026-03-01T10:00:00Z" });
    await bucket.put("d/b.csv", "v\n2\n", { lastModified: "2026-03-01T11:00:00Z" });
    const config = s3Config(bucket.name, [{ name: "d", format: "csv" }]);
    const first = await readAll(config, "d", "incremental");
    expect(records(first).map((r) => [r._s3_key, r.v])).toEqual([["d/a.csv", 1], ["d/b.csv", 2]]);
    const state = first.at(-1)!.state as JsonObject;
    expect(state).toMatchObject({ cursor: ["2026-03-01T11:00:00.000Z", "d/b.csv"] });

    // A new object; a.csv re-written; and one written in the cursor's second whose key sorts before the cursor's.
    await bucket.put("d/c.csv", "v\n3\n", { lastModified: "2026-03-01T12:00:00Z" });
    await bucket.put("d/a.csv", "v\n10\n11\n", { lastModified: "2026-03-01T12:30:00Z" });
    await bucket.put("d/a2.csv", "v\n4\n", { lastModified: "2026-03-01T11:00:00Z" });
    const second = await readAll(config, "d", "incremental", state);
    expect(records(second).map((r) => [r._s3_key, r._s3_row, r.v])).toEqual([
      ["d/a2.csv", 1, 4],
      ["d/c.csv", 1, 3],
      ["d/a.csv", 1, 10],
      ["d/a.csv", 2, 11],
    ]);
    const next = second.at(-1)!.state as JsonObject;
    expect(next.cursor).toEqual(["2026-03-01T12:30:00.000Z", "d/a.csv"]);
    expect(await readAll(config, "d", "incremental", next)).toEqual([]);
  });

  it("keeps the state of the objects read so far on every page, so a run that ends early resumes there", async () => {
    const bucket = await testBucket();
    await bucket.generateCsv("x/1.csv", 1500, { lastModified: "2026-03-01T10:00:00Z" });
    await bucket.generateCsv("x/2.csv", 10, { lastModified: "2026-03-01T10:05:00Z" });
    const config = s3Config(bucket.name, [{ name: "x", format: "csv" }]);
    const pages = await readAll(config, "x", "incremental");
    expect(pages.map((p) => p.records.length)).toEqual([1000, 510]);
    expect(pages[0]!.state).toBeUndefined();
    expect(pages[1]!.state).toMatchObject({ cursor: ["2026-03-01T10:05:00.000Z", "x/2.csv"] });
    expect(pages[1]!.checkpoint).toEqual({ after: ["2026-03-01T10:05:00.000Z", "x/2.csv"], file: null, counted: [["x/1.csv", 1500], ["x/2.csv", 10]] });
  });

  it("follows an object re-written shorter with soft deletes of its rows beyond the new count, resumable among them", async () => {
    const bucket = await testBucket();
    await bucket.generateCsv("s/a.csv", 1200, { lastModified: "2026-03-01T10:00:00Z" });
    await bucket.put("s/b.jsonl", '{"v": 1}\n{"v": 2}\n{"v": 3}\n', { lastModified: "2026-03-01T10:01:00Z" });
    const config = s3Config(bucket.name, [{ name: "s", format: "csv", glob: "s/*.csv" }, { name: "j", format: "jsonl", glob: "s/*.jsonl" }]);
    const csvState = (await readAll(config, "s", "incremental")).at(-1)!.state as JsonObject;
    expect(csvState.rows).toEqual([["s/a.csv", 1200]]);
    const jsonState = (await readAll(config, "j", "incremental")).at(-1)!.state as JsonObject;

    await bucket.generateCsv("s/a.csv", 150, { lastModified: "2026-03-02T10:00:00Z" });
    await bucket.put("s/b.jsonl", '{"v": 9}\n', { lastModified: "2026-03-02T10:01:00Z" });
    const pages = await readAll(config, "s", "incremental", csvState);
    const rows = records(pages);
    expect(rows).toHaveLength(1200);
    expect(rows.slice(0, 150).every((r) => r._loader_deleted_at === undefined && typeof r.id === "number")).toBe(true);
    expect(rows.slice(150)).toEqual(
      Array.from({ length: 1050 }, (_, i) => ({ _s3_key: "s/a.csv", _s3_row: 151 + i, _s3_last_modified: "2026-03-02T10:00:00.000Z", _loader_deleted_at: "2026-03-02T10:00:00.000Z" })),
    );
    // The first page ends among the deletes: its checkpoint resumes there without reading the object again.
    expect(pages[0]!.checkpoint).toMatchObject({ after: null, file: { key: "s/a.csv", row: 150, tombstoned: 1000 } });
    await bucket.clearRequests();
    const resumed = await readAll(config, "s", "incremental", csvState, pages[0]!.checkpoint);
    expect(records(resumed).map((r) => r._s3_row)).toEqual(Array.from({ length: 200 }, (_, i) => 1001 + i));
    expect((await bucket.requests()).filter((r) => r.key === "s/a.csv")).toEqual([]);
    expect(pages.at(-1)!.state).toMatchObject({ rows: [["s/a.csv", 150]] });

    const json = records(await readAll(config, "j", "incremental", jsonState));
    expect(json.map((r) => [r._s3_row, r.v, r._loader_deleted_at])).toEqual([
      [1, 9, undefined],
      [2, undefined, "2026-03-02T10:01:00.000Z"],
      [3, undefined, "2026-03-02T10:01:00.000Z"],
    ]);
  });

  it("keeps no row counts and sends no deletes for a stream keyed by the user's primary key", async () => {
    const bucket = await testBucket();
    await bucket.put("k/a.csv", "id,v\n1,a\n2,b\n", { lastModified: "2026-03-01T10:00:00Z" });
    const config = s3Config(bucket.name, [{ name: "k", format: "csv", primary_key: ["id"] }]);
    const state = (await readAll(config, "k", "incremental")).at(-1)!.state as JsonObject;
    expect(state.rows).toBeUndefined();
    await bucket.put("k/a.csv", "id,v\n1,c\n", { lastModified: "2026-03-02T10:00:00Z" });
    expect(records(await readAll(config, "k", "incremental", state)).map((r) => [r.id, r.v])).toEqual([[1, "c"]]);
  });
});
