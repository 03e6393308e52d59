/**
 * The s3 reader's formats against the real S3 server of the test run (test/fakes/s3): CSV (quoting, quoted line
 * breaks, BOM, delimiter, header-only and empty files, typing with widening, text mode), JSONL (big integers,
 * nested values), gzip by name and by Content-Encoding, bad rows failing or skipped, and Parquet read by range
 * requests row group by row group with exact values.
 */
import { describe, expect, it } from "vitest";
import { s3Connector } from "../../../connectors/s3";
import { PARQUET_SLICE_ROWS } from "../../../connectors/s3/parquet";
import { PAGE_ROWS } from "../../../connectors/s3/read";
import { GENERATED_HEADER, generatedRow } from "../../fakes/s3/fixtures";
import { dataOf, readAll, records, s3Config, s3Context, testBucket } from "./harness";

describe("s3 csv", () => {
  it("reads RFC 4180 quoting, quoted line breaks and a BOM, typing columns from the first rows", async () => {
    const bucket = await testBucket();
    const text =
      "\uFEFFid,name,price,active,seen_at,code,born\r\n" +
      '1,"Smith, Jane",12.50,true,2024-05-01T10:00:00Z,007,1990-01-01\r\n' +
      '2,"say ""hi""",3,FALSE,2024-05-01 10:00:00.250+02:00,12,1991-02-03\r\n' +
      '3,"two\nlines",,false,,x9,\r\n';
    await bucket.put("in/people.csv", text);
    const config = s3Config(bucket.name, [{ name: "people", format: "csv", glob: "in/*.csv" }]);
    const rows = records(await readAll(config, "people"));
    expect(dataOf(rows)).toEqual([
      { id: 1, name: "Smith, Jane", price: 12.5, active: true, seen_at: new Date("2024-05-01T10:00:00Z"), code: "007", born: "1990-01-01" },
      { id: 2, name: 'say "hi"', price: 3, active: false, seen_at: new Date("2024-05-01T08:00:00.250Z"), code: "12", born: "1991-02-03" },
      { id: 3, name: "two\nlines", price: null, active: false, seen_at: null, code: "x9", born: null },
    ]);
    expect(rows.map((r) => [r._s3_key, r._s3_row])).toEqual([["in/people.csv", 1], ["in/people.csv", 2], ["in/people.csv", 3]]);
    expect(rows[0]!._s3_last_modified).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
  });

  it("widens a column when a later row disagrees, never dropping or rounding a value", async () => {
    const bucket = await testBucket();
    const lines = ["n,amount,flag"];
    for (let i = 1; i <= 1500; i++) lines.push(`${i},${i}.5,${i % 2 === 0}`);
    lines.push("1501,9007199254740993123,maybe"); // beyond the inference sample: text from here on
    lines.push("12345678901234567890,1e3,true");
    await bucket.put("wide.csv", `${lines.join("\n")}\n`);
    const config = s3Config(bucket.name, [{ name: "wide", format: "csv" }]);
    const rows = dataOf(records(await readAll(config, "wide")));
    expect(rows[0]).toEqual({ n: 1, amount: 1.5, flag: false });
    expect(rows[1499]).toEqual({ n: 1500, amount: 1500.5, flag: true });
    expect(rows[1500]).toEqual({ n: 1501, amount: "9007199254740993123", flag: "maybe" });
    expect(rows[1501]).toEqual({ n: 12345678901234567890n, amount: "1e3", flag: "true" });
  });

  it("reads a configured delimiter, and every column as text with csv_types text", async () => {
    const bucket = await testBucket();
    await bucket.put("semi.csv", "a;b\n1;x,y\n2;\n");
    const rows = dataOf(records(await readAll(s3Config(bucket.name, [{ name: "semi", format: "csv", csv_delimiter: ";" }]), "semi")));
    expect(rows).toEqual([{ a: 1, b: "x,y" }, { a: 2, b: null }]);
    const text = dataOf(records(await readAll(s3Config(bucket.name, [{ name: "semi", format: "csv", csv_delimiter: ";", csv_types: "text" }]), "semi")));
    expect(text).toEqual([{ a: "1", b: "x,y" }, { a: "2", b: null }]);
  });

  it("loads nothing and fails nothing for an empty file and a header-only file", async () => {
    const bucket = await testBucket();
    await bucket.put("a/empty.csv", "");
    await bucket.put("a/header.csv", "id,name\r\n");
    await bucket.put("a/one.csv", "id,name\n7,seven\n");
    const pages = await readAll(s3Config(bucket.name, [{ name: "a", format: "csv" }]), "a");
    expect(dataOf(records(pages))).toEqual([{ id: 7, name: "seven" }]);
  });

  it("fails a row with more fields than the header naming file and line, or skips and counts it", async () => {
    const bucket = await testBucket();
    await bucket.put("bad.csv", "id,name\n1,a\n2,b,extra\n3,c\n");
    await expect(readAll(s3Config(bucket.name, [{ name: "bad", format: "csv" }]), "bad")).rejects.toMatchObject({
      kind: "data",
      message: expect.stringMatching(/bad\.csv line 3: 3 fields where the header has 2/),
    });
    const pages = await readAll(s3Config(bucket.name, [{ name: "bad", format: "csv", on_bad_row: "skip" }]), "bad");
    expect(dataOf(records(pages))).toEqual([{ id: 1, name: "a" }, { id: 3, name: "c" }]);
    expect(records(pages).map((r) => r._s3_row)).toEqual([1, 3]);
    expect(pages.reduce((n, p) => n + (p.skippedRows ?? 0), 0)).toBe(1);
  });

  it("reads gzip by extension and by Content-Encoding, in pages that span a quoted line break", async () => {
    const bucket = await testBucket();
    await bucket.generateCsv("big.csv.gz", 2500, { gzip: true });
    const csv = [GENERATED_HEADER, "1,one,0.25,2024-01-01T00:00:01.000Z,false"].join("\n");
    await bucket.put("encoded.csv", csv, { gzip: true, contentEncoding: "gzip" });
    const gz = await readAll(s3Config(bucket.name, [{ name: "g", format: "csv", glob: "big.csv.gz" }]), "g");
    expect(gz.map((p) => p.records.length)).toEqual([PAGE_ROWS, PAGE_ROWS, 500]);
    const rows = records(gz);
    const expected = (i: number) => {
      const row = generatedRow(i);
      return { id: row.id, label: row.label, amount: Number(row.amount), at: new Date(row.at), flag: row.flag };
    };
    expect(dataOf([rows[996]!])[0]).toEqual(expected(997));
    expect(dataOf(rows)).toEqual(Array.from({ length: 2500 }, (_, i) => expected(i + 1)));
    const encoded = dataOf(records(await readAll(s3Config(bucket.name, [{ name: "e", format: "csv", glob: "encoded.csv" }]), "e")));
    expect(encoded).toEqual([{ id: 1, label: "one", amount: 0.25, at: new Date("2024-01-01T00:00:01.000Z"), flag: false }]);
  });
});

describe("s3 jsonl", () => {
  it("keeps integers beyond 2^53 exact and nested values whole, skipping blank lines", async () => {
    const bucket = await testBucket();
    await bucket.put("events/1.jsonl", '{"id": 9007199254740993, "user": {"name": "Zoë"}, "tags": ["a"], "n": 1.5}\n\n{"id": 2, "user": null}\n');
    await bucket.put("events/2.jsonl.gz", '{"id": 3}\n', { gzip: true });
    const rows = records(await readAll(s3Config(bucket.name, [{ name: "events", format: "jsonl", glob: "events/*" }]), "events"));
    expect(dataOf(rows)).toEqual([{ id: 9007199254740993n, user: { name: "Zoë" }, tags: ["a"], n: 1.5 }, { id: 2, user: null }, { id: 3 }]);
    expect(rows.map((r) => r._s3_row)).toEqual([1, 2, 1]);
  });

  it("fails a malformed line with file and line, or skips it", async () => {
    const bucket = await testBucket();
    await bucket.put("x.jsonl", '{"a": 1}\n{"a": \n[1, 2]\n{"a": 4}\n');
    await expect(readAll(s3Config(bucket.name, [{ name: "x", format: "jsonl" }]), "x")).rejects.toMatchObject({
      kind: "data",
      message: expect.stringMatching(/x\.jsonl line 2: not valid JSON/),
    });
    const pages = await readAll(s3Config(bucket.name, [{ name: "x", format: "jsonl", on_bad_row: "skip" }]), "x");
    expect(dataOf(records(pages))).toEqual([{ a: 1 }, { a: 4 }]);
    expect(pages.reduce((n, p) => n + (p.skippedRows ?? 0), 0)).toBe(2);
  });
});

const PARQUET_SQL = (rows: number) => `
  SELECT i::BIGINT AS id,
         (9007199254740993 + i)::BIGINT AS big,
         'name ' || i AS name,
         (i * 1.25)::DOUBLE AS ratio,
         (i / 100)::DECIMAL(18, 4) AS amount,
         (TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 SECOND) AS at,
         (DATE '2024-01-01' + (i % 30)::INTEGER) AS day,
         i % 2 = 0 AS even,
         CASE WHEN i % 7 = 0 THEN NULL ELSE i::INTEGER END AS maybe
    FROM range(1, ${rows + 1}) t(i)`;

describe("s3 parquet", () => {
  it("reads row group by row group over range requests with exact int64, decimals, timestamps and dates", async () => {
    const bucket = await testBucket();
    const written = await bucket.parquet("data/part-0.parquet", PARQUET_SQL(2500), { rowGroupSize: 1000 });
    await bucket.clearRequests();
    const pages = await readAll(s3Config(bucket.name, [{ name: "p", format: "parquet", glob: "data/*.parquet" }]), "p");
    const rows = records(pages);
    expect(rows).toHaveLength(2500);
    expect(dataOf([rows[6]!])[0]).toEqual({
      id: 7n,
      big: 9007199254741000n,
      name: "name 7",
      ratio: 8.75,
      amount: "0.0700",
      at: new Date("2024-01-01T00:00:07Z"),
      day: "2024-01-08",
      even: false,
      maybe: null,
    });
    expect(rows[2499]).toMatchObject({ id: 2500n, amount: "25.0000", _s3_row: 2500, _s3_key: "data/part-0.parquet" });
    const gets = (await bucket.requests()).filter((r) => r.method === "GET" && r.key);
    // Only ranges, never the whole object; the footer first.
    expect(gets.every((r) => /^bytes=\d+-\d+$/.test(r.headers.range ?? ""))).toBe(true);
    expect(gets[0]!.headers.range).toMatch(new RegExp(`-${written.size - 1}$`));
    expect(gets.every((r) => r.headers["if-match"] === written.etag)).toBe(true);
  });

  it("resumes inside a row group from a checkpoint, and reads zstd and gzip pages", async () => {
    const bucket = await testBucket();
    await bucket.parquet("z.parquet", PARQUET_SQL(2200), { rowGroupSize: 1500, compression: "zstd" });
    await bucket.parquet("g.parquet", PARQUET_SQL(10), { compression: "gzip" });
    const config = s3Config(bucket.name, [{ name: "z", format: "parquet", glob: "z.parquet" }, { name: "g", format: "parquet", glob: "g.parquet" }]);
    const full = await readAll(config, "z");
    expect(full.map((p) => p.records.length)).toEqual([1000, 1000, 200]);
    const resumed = records(await readAll(config, "z", "full_refresh", null, full[0]!.checkpoint));
    expect(resumed.map((r) => r.id)).toEqual(records(full).slice(1000).map((r) => r.id));
    expect(records(await readAll(config, "g")).map((r) => r.amount)).toEqual(Array.from({ length: 10 }, (_, i) => `0.${String(i + 1).padStart(2, "0")}00`));
  });

  it("decodes a large row group in slices, fetching its bytes once", async () => {
    const bucket = await testBucket();
    // One row group (DuckDB's default holds 122,880 rows): more than two slices of PARQUET_SLICE_ROWS.
    await bucket.parquet("one-group.parquet", "select i::BIGINT as id, 'v' || (i % 10) as v from range(0, 120000) t(i)");
    await bucket.clearRequests();
    const rows = records(await readAll(s3Config(bucket.name, [{ name: "o", format: "parquet" }]), "o"));
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 120_000 }, (_, i) => BigInt(i)));
    const gets = (await bucket.requests()).filter((r) => r.method === "GET" && r.key);
    expect(120_000 / PARQUET_SLICE_ROWS).toBeGreaterThan(2);
    // The footer, then the group's column chunks once — not once per slice.
    expect(new Set(gets.map((r) => r.headers.range)).size).toBe(gets.length);
    expect(gets.length).toBeLessThanOrEqual(3);
  });
});

describe("s3 discovery", () => {
  it("shows the columns of each stream's first file", async () => {
    const bucket = await testBucket();
    await bucket.put("c/a.csv", "id,name,at\n1,x,2024-01-01T00:00:00Z\n", { lastModified: "2024-01-01T00:00:00Z" });
    await bucket.put("j/a.jsonl", '{"k": 1, "v": "s"}\n');
    await bucket.parquet("p/a.parquet", PARQUET_SQL(3));
    const { ctx } = s3Context();
    const config = s3Config(bucket.name, [
      { name: "c", format: "csv", glob: "c/*" },
      { name: "j", format: "jsonl", glob: "j/*" },
      { name: "p", format: "parquet", glob: "p/*" },
    ]);
    const [c, j, p] = await s3Connector.discover!(ctx, config);
    expect(c!.json_schema!.properties).toMatchObject({ id: { type: ["integer", "null"] }, name: { type: ["string", "null"] }, at: { format: "date-time" }, _s3_key: { type: "string" } });
    expect(j!.json_schema!.properties).toMatchObject({ k: { type: ["integer", "null"] }, v: { type: ["string", "null"] } });
    expect(Object.keys(p!.json_schema!.properties)).toEqual(expect.arrayContaining(["id", "big", "amount", "at", "day", "_s3_row"]));
    expect(c!.primary_key).toEqual(["_s3_key", "_s3_row"]);
  });
});
