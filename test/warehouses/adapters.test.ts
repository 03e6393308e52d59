/**
 * The warehouse semantics of DESIGN §4, run once per adapter against the real databases: D1 (the WAREHOUSE binding)
 * and PostgreSQL (127.0.0.1:5432). Each test loads into its own schema.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StreamTarget, WarehouseAdapter, WriteBatch } from "../../src/warehouses/contract";
import { stableHash } from "../../src/warehouses/naming";
import { type Statement, type WarehouseUnderTest, d1Harness, postgresHarness, uniqueSchema } from "./harness";

const SYNCED_AT = "2024-05-01T12:00:00.000Z";

function page(batch_id: string, records: WriteBatch["records"], synced_at = SYNCED_AT): WriteBatch {
  return { batch_id, records, synced_at };
}

describe.each([
  { name: "d1", make: () => d1Harness() },
  { name: "postgresql", make: () => postgresHarness() },
])("$name warehouse", ({ make }) => {
  const wh: WarehouseUnderTest = make();
  let schema: string;
  let statements: Statement[];
  let adapter: WarehouseAdapter;

  const target = (overrides: Partial<StreamTarget> = {}): StreamTarget => ({
    schema,
    stream: "Contacts",
    sync_mode: "incremental",
    primary_key: ["Id"],
    cursor_field: "UpdatedAt",
    run_id: "run-1",
    ...overrides,
  });

  beforeEach(() => {
    schema = uniqueSchema();
    statements = [];
    adapter = wh.adapter(statements);
  });
  afterEach(async () => {
    await wh.cleanup(schema);
  });
  afterAll(async () => {
    await wh.close();
  });

  it("lands a stream in its snake_case table with snake_case columns, JSON for nested values and metadata", async () => {
    const t = target({ schema: schema.toUpperCase(), stream: "lineItems" });
    await adapter.prepareStream(t);
    const written = await adapter.stage(
      t,
      page("b1", [{ Id: 1, FirstName: "Ada", UpdatedAt: "2024-01-01T00:00:00Z", Address: { city: "Paris" }, Tags: ["a", 1] }]),
    );

    expect(written).toEqual({ rows_staged: 1 });
    expect(await wh.columns(schema, "lineItems")).toEqual({
      id: "integer",
      first_name: "string",
      updated_at: "string",
      address: "json",
      tags: "json",
      _loader_run_id: "string",
      _loader_synced_at: "timestamp",
      _loader_batch_id: "string",
      _loader_deleted_at: "timestamp",
    });
    expect(await wh.rows(schema, "lineItems", "id")).toEqual([
      {
        id: 1,
        first_name: "Ada",
        updated_at: "2024-01-01T00:00:00Z",
        address: { city: "Paris" },
        tags: ["a", 1],
        _loader_run_id: "run-1",
        _loader_synced_at: SYNCED_AT,
        _loader_batch_id: "b1",
        _loader_deleted_at: null,
      },
    ]);
  });

  it("keeps tabs, newlines, backslashes and quotes in text and JSON exact, and drops U+0000 (PostgreSQL cannot store it)", async () => {
    const text = 'tab\there\nline\r\\N back\\slash "quoted" \u0000end';
    const json = { path: "C:\\dir\tx", nul: "a\u0000b", nested: ["\n", "\\"] };
    await adapter.stage(target(), page("b1", [{ Id: 1, Name: text, Meta: json, UpdatedAt: "2024-01-01T00:00:00Z" }, { Id: 2, Name: "\\N", UpdatedAt: "2024-01-01T00:00:00Z" }]));

    const rows = await wh.rows(schema, "Contacts", "id");
    expect(rows.map((row) => row.name)).toEqual([wh.type === "postgresql" ? text.replace("\u0000", "") : text, "\\N"]);
    const meta = typeof rows[0]?.meta === "string" ? JSON.parse(rows[0].meta as string) : rows[0]?.meta;
    expect(meta).toEqual(wh.type === "postgresql" ? { ...json, nul: "ab" } : json);
    expect(rows[1]?.meta ?? null).toBeNull();
  });

  it("binds every value: record values never appear in SQL text", async () => {
    const hostile = `Robert'); DROP TABLE students; --`;
    await adapter.stage(target(), page("b1", [{ Id: 1, Name: hostile, UpdatedAt: "2024-01-01T00:00:00Z" }]));

    const inserts = statements.filter((s) => s.sql.includes("INSERT INTO"));
    expect(inserts).toHaveLength(1);
    // D1 binds the page as its first parameter; PostgreSQL sends it by COPY (an input stream, not SQL text).
    expect(inserts[0]?.params).toHaveLength(wh.type === "postgresql" ? 3 : 4);
    expect(inserts[0]?.params.slice(-3)).toEqual(["run-1", SYNCED_AT, "b1"]);
    if (wh.type === "postgresql") expect(statements.filter((s) => /^TRUNCATE .*; COPY .* FROM STDIN$/.test(s.sql))).toHaveLength(1);
    expect(statements.some((s) => s.sql.includes("Robert"))).toBe(false);
    expect((await wh.rows(schema, "Contacts", "id"))[0]?.name).toBe(hostile);
  });

  it("merges by primary key: the greatest cursor wins in a page and against the table", async () => {
    const t = target();
    await adapter.prepareStream(t);
    await adapter.stage(
      t,
      page("b1", [
        { Id: 1, Name: "v2", UpdatedAt: "2024-01-02T00:00:00Z" },
        { Id: 1, Name: "v1", UpdatedAt: "2024-01-01T00:00:00Z" },
        { Id: 2, Name: "first", UpdatedAt: "2024-01-01T00:00:00Z" },
        { Id: 2, Name: "same cursor, later in the page", UpdatedAt: "2024-01-01T00:00:00Z" },
      ]),
    );
    const older = await adapter.stage(t, page("b2", [{ Id: 1, Name: "v0", UpdatedAt: "2023-12-31T00:00:00Z" }]));
    await adapter.stage(t, page("b3", [{ Id: 3, Name: "new", UpdatedAt: "2024-01-05T00:00:00Z" }]));

    expect(older.rows_staged).toBe(0);
    const rows = await wh.rows(schema, "Contacts", "id");
    expect(rows.map((r) => [r.id, r.name, r._loader_batch_id])).toEqual([
      [1, "v2", "b1"],
      [2, "same cursor, later in the page", "b1"],
      [3, "new", "b3"],
    ]);

    await adapter.stage(t, page("b4", [{ Id: 1, Name: "v3", UpdatedAt: "2024-01-03T00:00:00Z" }]));
    expect((await wh.rows(schema, "Contacts", "id"))[0]).toMatchObject({ name: "v3", _loader_batch_id: "b4" });
  });

  it("compares numeric cursors as numbers and date-time cursors as instants", async () => {
    const numeric = target({ stream: "Events", cursor_field: "Seq" });
    await adapter.stage(numeric, page("b1", [{ Id: 1, Seq: 10, Name: "ten" }]));
    await adapter.stage(numeric, page("b2", [{ Id: 1, Seq: 9, Name: "nine" }]));
    expect((await wh.rows(schema, "Events", "id"))[0]?.name).toBe("ten");

    const timed = target({
      stream: "Deals",
      json_schema: { type: "object", properties: { Id: { type: "integer" }, UpdatedAt: { type: "string", format: "date-time" } } },
    });
    // 10:00+02:00 is 08:00Z: "2024-01-01T09:00:00Z" is newer although it sorts lower as text.
    await adapter.stage(timed, page("b1", [{ Id: 1, UpdatedAt: "2024-01-01T10:00:00+02:00", Name: "old" }]));
    await adapter.stage(timed, page("b2", [{ Id: 1, UpdatedAt: "2024-01-01T09:00:00Z", Name: "new" }]));
    const [row] = await wh.rows(schema, "Deals", "id");
    expect(row).toMatchObject({ name: "new", updated_at: "2024-01-01T09:00:00.000Z" });
    expect((await wh.columns(schema, "Deals"))?.updated_at).toBe("timestamp");
  });

  it("a replayed page leaves the table identical", async () => {
    const t = target();
    const b1 = page("b1", [
      { Id: 1, Name: "a", UpdatedAt: "2024-01-01T00:00:00Z" },
      { Id: 2, Name: "b", UpdatedAt: "2024-01-01T00:00:00Z" },
    ]);
    const b2 = page("b2", [{ Id: 1, Name: "a2", UpdatedAt: "2024-01-02T00:00:00Z" }], "2024-05-01T12:05:00.000Z");
    await adapter.stage(t, b1);
    await adapter.stage(t, b2);
    const before = await wh.rows(schema, "Contacts", "id");

    const replay = wh.adapter();
    expect(await replay.stage(t, b1)).toEqual({ rows_staged: 1 });
    await replay.stage(t, b2);

    expect(await wh.rows(schema, "Contacts", "id")).toEqual(before);
    expect(before.map((r) => r.name)).toEqual(["a2", "b"]);
  });

  it("full_refresh: readers see the old table until finalize, which swaps the staging table in once", async () => {
    const first = target({ sync_mode: "full_refresh", run_id: "run-1" });
    await adapter.prepareStream(first);
    await adapter.stage(first, page("r1p1", [{ Id: 1, Name: "old", UpdatedAt: "2024-01-01T00:00:00Z" }, { Id: 2, Name: "gone", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    expect(await wh.columns(schema, "Contacts")).toBeNull();
    await adapter.finalizeStream(first);
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => r.name)).toEqual(["old", "gone"]);

    const second = target({ sync_mode: "full_refresh", run_id: "run-2" });
    const writer = wh.adapter();
    await writer.prepareStream(second);
    await writer.stage(second, page("r2p1", [{ Id: 1, Name: "new", UpdatedAt: "2024-02-01T00:00:00Z" }]));
    await writer.stage(second, page("r2p2", [{ Id: 3, Name: "added", UpdatedAt: "2024-02-01T00:00:00Z", Extra: true }]));
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => r.name)).toEqual(["old", "gone"]);

    // finalize may run in another invocation than the writes
    await wh.adapter().finalizeStream(second);
    const swapped = await wh.rows(schema, "Contacts", "id");
    expect(swapped.map((r) => [r.id, r.name, r.extra, r._loader_run_id])).toEqual([
      [1, "new", null, "run-2"],
      [3, "added", true, "run-2"],
    ]);
    await wh.adapter().finalizeStream(second);
    expect(await wh.rows(schema, "Contacts", "id")).toEqual(swapped);
    expect(await wh.tables(schema)).toHaveLength(1);

    // The swapped-in table still merges by key: its unique index came along.
    await wh.adapter().stage(target(), page("inc", [{ Id: 3, Name: "merged", UpdatedAt: "2024-03-01T00:00:00Z" }]));
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => r.name)).toEqual(["new", "merged"]);
  });

  it("full_refresh: abort drops the staging table and leaves the target untouched", async () => {
    const first = target({ sync_mode: "full_refresh", run_id: "run-1" });
    await adapter.prepareStream(first);
    await adapter.stage(first, page("p1", [{ Id: 1, Name: "kept", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    await adapter.finalizeStream(first);
    const before = await wh.rows(schema, "Contacts", "id");

    const failed = target({ sync_mode: "full_refresh", run_id: "run-2" });
    await adapter.prepareStream(failed);
    await adapter.stage(failed, page("p1", [{ Id: 9, Name: "partial", UpdatedAt: "2024-02-01T00:00:00Z" }]));
    expect(await wh.tables(schema)).toHaveLength(2);
    await adapter.abortStream(failed);

    expect(await wh.tables(schema)).toHaveLength(1);
    expect(await wh.rows(schema, "Contacts", "id")).toEqual(before);
    await adapter.finalizeStream(failed);
    expect(await wh.rows(schema, "Contacts", "id")).toEqual(before);
  });

  it("full_refresh of a source that became empty swaps in an empty table", async () => {
    const first = target({ sync_mode: "full_refresh", run_id: "run-1" });
    await adapter.prepareStream(first);
    await adapter.stage(first, page("p1", [{ Id: 1, Name: "x", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    await adapter.finalizeStream(first);

    const empty = target({ sync_mode: "full_refresh", run_id: "run-2" });
    await adapter.prepareStream(empty);
    await adapter.finalizeStream(empty);
    expect(await wh.rows(schema, "Contacts", "_loader_batch_id")).toEqual([]);
  });

  it("a stream without primary key is idempotent per batch id", async () => {
    const t = target({ stream: "Logs", primary_key: [], cursor_field: null });
    const b1 = page("b1", [{ Message: "a" }, { Message: "b" }, { Message: "same" }]);
    const b2 = page("b2", [{ Message: "same" }, { Message: "c" }]);
    await adapter.stage(t, b1);
    expect(await adapter.stage(t, b1)).toEqual({ rows_staged: 3 });
    await adapter.stage(t, b2);
    await wh.adapter().stage(t, b1);

    const rows = await wh.rows(schema, "Logs", "message");
    expect(rows.map((r) => [r.message, r._loader_batch_id]).sort()).toEqual([
      ["a", "b1"],
      ["b", "b1"],
      ["c", "b2"],
      ["same", "b1"],
      ["same", "b2"],
    ]);
  });

  it("keyless: an attempt's first batch replaces what an earlier attempt wrote from its start page on, cut differently", async () => {
    const t = target({ stream: "Events", primary_key: [], cursor_field: null, run_id: "run-2" });
    const ids = async () => (await wh.rows(schema, "Events", "id")).map((r) => [r.id, r._loader_run_id, r._loader_batch_id]);
    // Another run's rows, and this run's rows up to page 3 that a report made final.
    await adapter.stage({ ...t, run_id: "run-1" }, page("run-1:Events:0", [{ Id: 1 }, { Id: 2 }]));
    // An id inside the run's range whose suffix is not a page sequence is neither cast nor removed.
    await adapter.stage(t, page("run-2:Events:x", [{ Id: 0 }]));
    await adapter.stage(t, page("run-2:Events:0", [{ Id: 3 }]));
    // Attempt 1 of the chunk starting at page 4 wrote two groups and died before reporting them.
    await adapter.stage(t, page("run-2:Events:4", [{ Id: 4 }, { Id: 5 }]));
    await adapter.stage(t, page("run-2:Events:12", [{ Id: 6 }, { Id: 7 }]));
    // Attempt 2 cuts its first group at other pages: one group covering what attempt 1 wrote in two.
    await wh.adapter().stage(t, { ...page("run-2:Events:4", [{ Id: 4 }, { Id: 5 }, { Id: 6 }, { Id: 7 }]), replaces_from: 4 });
    expect(await ids()).toEqual([
      [0, "run-2", "run-2:Events:x"],
      [1, "run-1", "run-1:Events:0"],
      [2, "run-1", "run-1:Events:0"],
      [3, "run-2", "run-2:Events:0"],
      [4, "run-2", "run-2:Events:4"],
      [5, "run-2", "run-2:Events:4"],
      [6, "run-2", "run-2:Events:4"],
      [7, "run-2", "run-2:Events:4"],
    ]);
    // Page 40 sorts before page 5 as text; the sequence is compared as a number.
    await adapter.stage(t, page("run-2:Events:40", [{ Id: 8 }]));
    await wh.adapter().stage(t, { ...page("run-2:Events:5", [{ Id: 9 }]), replaces_from: 5 });
    expect((await ids()).map(([id]) => id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9]);
  });

  it("soft deletes keep the row, mark it, and keep values a tombstone does not carry", async () => {
    const t = target();
    await adapter.stage(t, page("b1", [{ Id: 1, Name: "Ada", UpdatedAt: "2024-01-01T00:00:00Z" }, { Id: 2, Name: "Bob", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    await adapter.stage(t, page("b2", [{ Id: 1, UpdatedAt: "2024-01-02T00:00:00Z", _loader_deleted_at: "2024-01-02T00:00:00Z" }]));
    // A bare tombstone without cursor value still applies.
    await adapter.stage(t, page("b3", [{ Id: 2, _loader_deleted_at: "2024-01-03T00:00:00Z" }]));

    let rows = await wh.rows(schema, "Contacts", "id");
    expect(rows.map((r) => [r.id, r.name, r.updated_at, r._loader_deleted_at])).toEqual([
      [1, "Ada", "2024-01-02T00:00:00Z", "2024-01-02T00:00:00.000Z"],
      [2, "Bob", "2024-01-01T00:00:00Z", "2024-01-03T00:00:00.000Z"],
    ]);
    expect(Object.keys((await wh.columns(schema, "Contacts")) ?? {}).filter((c) => c.includes("deleted"))).toEqual(["_loader_deleted_at"]);

    await adapter.stage(t, page("b4", [{ Id: 1, Name: "Ada again", UpdatedAt: "2024-01-04T00:00:00Z" }]));
    rows = await wh.rows(schema, "Contacts", "id");
    expect(rows[0]).toMatchObject({ name: "Ada again", _loader_deleted_at: null });
  });

  it("adds a nullable column for a new field", async () => {
    const t = target();
    await adapter.stage(t, page("b1", [{ Id: 1, Name: "a", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    await wh.adapter().stage(t, page("b2", [{ Id: 2, Name: "b", UpdatedAt: "2024-01-01T00:00:00Z", Email: "b@x.io" }]));

    expect((await wh.columns(schema, "Contacts"))?.email).toBe("string");
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => r.email)).toEqual([null, "b@x.io"]);
  });

  it("widens integer → number → string and anything → JSON, keeping every value", async () => {
    const t = target({ stream: "Prices" });
    const at = "2024-01-01T00:00:00Z";
    await adapter.stage(t, page("b1", [{ Id: 1, Amount: 1, Flag: true, Note: "x", UpdatedAt: at }]));
    expect(await wh.columns(schema, "Prices")).toMatchObject({ amount: "integer", flag: "boolean", note: "string" });

    await wh.adapter().stage(t, page("b2", [{ Id: 2, Amount: 2.5, UpdatedAt: at }]));
    expect((await wh.columns(schema, "Prices"))?.amount).toBe("number");
    expect((await wh.rows(schema, "Prices", "id")).map((r) => r.amount)).toEqual([1, 2.5]);

    await wh.adapter().stage(t, page("b3", [{ Id: 3, Amount: "n/a", Flag: "maybe", Note: { lang: "fr" }, UpdatedAt: at }]));
    expect(await wh.columns(schema, "Prices")).toMatchObject({ amount: "string", flag: "string", note: "json" });
    const rows = await wh.rows(schema, "Prices", "id");
    expect(rows.map((r) => [r.amount, r.flag, r.note])).toEqual([
      ["1", "true", "x"],
      ["2.5", null, null],
      ["n/a", "maybe", { lang: "fr" }],
    ]);

    // The index survived the widening: the key still merges.
    await wh.adapter().stage(t, page("b4", [{ Id: 1, Amount: 7, UpdatedAt: "2024-02-01T00:00:00Z" }]));
    expect((await wh.rows(schema, "Prices", "id")).map((r) => r.amount)).toEqual(["7", "2.5", "n/a"]);
  });

  it("keeps decimals given as text exact and dates as days; integers widen into a decimal column", async () => {
    const t = target({
      stream: "Invoices",
      cursor_field: "Amount",
      json_schema: { type: "object", properties: { Amount: { type: "string", format: "decimal" }, Due: { type: ["string", "null"], format: "date" } } },
    });
    const exact = "12345678901234567890.123456789";
    await adapter.prepareStream(t);
    await adapter.stage(t, page("b1", [{ Id: 1, Amount: exact, Due: "2024-02-29" }, { Id: 2, Amount: "0.10", Due: null }]));
    expect(await wh.columns(schema, "Invoices")).toMatchObject({ amount: wh.type === "postgresql" ? "big_integer" : "decimal", due: "date" });
    // A decimal cursor compares as a number: "9.5" is older than "10.25", although it sorts after it as text.
    await wh.adapter().stage(t, page("b2", [{ Id: 2, Amount: "10.25", Due: "2024-03-01" }, { Id: 3, Amount: 7 }]));
    await wh.adapter().stage(t, page("b3", [{ Id: 2, Amount: "9.5", Due: "1999-01-01" }]));
    const rows = await wh.rows(schema, "Invoices", "id");
    expect(rows.map((r) => [r.id, String(r.amount), r.due])).toEqual([
      [1, exact, "2024-02-29"],
      [2, "10.25", "2024-03-01"],
      [3, "7", null],
    ]);
    expect(await wh.columns(schema, "Invoices")).toMatchObject({ due: "date" });
  });

  it("widens a big integer column into a decimal one, in place where the storage type stays (PostgreSQL numeric)", async () => {
    const t = target({ stream: "Ledger", cursor_field: null });
    await adapter.stage(t, page("b1", [{ Id: 1, Balance: 2n ** 64n }]));
    const widened = { ...t, json_schema: { type: "object" as const, properties: { Balance: { type: "string" as const, format: "decimal" as const } } } };
    const sent: Statement[] = [];
    await wh.adapter(sent).stage(widened, page("b2", [{ Id: 2, Balance: "0.000000001" }]));
    expect((await wh.columns(schema, "Ledger"))?.balance).toBe(wh.type === "postgresql" ? "big_integer" : "decimal");
    if (wh.type === "postgresql") expect(sent.filter((s) => /ALTER TABLE/i.test(s.sql))).toEqual([]);
    expect((await wh.rows(schema, "Ledger", "id")).map((r) => String(r.balance))).toEqual(["18446744073709551616", "0.000000001"]);
  });

  it("compares big integer cursors as numbers, also in a later adapter that reads the column type back", async () => {
    const t = target({ stream: "Counters", cursor_field: "Seq" });
    await adapter.stage(t, page("b1", [{ Id: 1, Seq: 10n ** 20n, Name: "newer" }]));
    // 9e19 sorts after 1e20 as text; as a number it is older and must not overwrite.
    await wh.adapter().stage(t, page("b2", [{ Id: 1, Seq: 9n * 10n ** 19n, Name: "older" }]));
    await wh.adapter().stage(t, page("b3", [{ Id: 1, Seq: 10n ** 20n + 1n, Name: "newest" }]));
    expect((await wh.rows(schema, "Counters", "id")).map((r) => [String(r.seq), r.name])).toEqual([["100000000000000000001", "newest"]]);
  });

  it("keeps integers beyond 2^53 exact, as keys and as values", async () => {
    const t = target({ stream: "Tweets", cursor_field: null });
    const a = 2n ** 60n + 1n;
    const b = 2n ** 60n + 2n;
    await adapter.stage(t, page("b1", [{ Id: a, Views: 9007199254740993n, Small: 5n }, { Id: b, Views: 1 }]));

    const columns = await wh.columns(schema, "Tweets");
    expect(columns?.small).toBe("integer");
    expect(columns?.views).toBe("big_integer");
    const rows = await wh.rows(schema, "Tweets", "views");
    expect(rows.map((r) => [String(r.id), String(r.views), r.small])).toEqual([
      [b.toString(), "1", null],
      [a.toString(), "9007199254740993", 5],
    ]);
  });

  it("types columns from the JSON schema before values arrive; null-only fields wait for a value; absent fields are kept", async () => {
    const t = target({
      stream: "Accounts",
      json_schema: {
        type: "object",
        properties: {
          Id: { type: "integer" },
          UpdatedAt: { type: ["string", "null"], format: "date-time" },
          Score: { type: ["number", "null"] },
          Meta: { type: "object" },
        },
      },
    });
    await adapter.prepareStream(t);
    expect(await wh.columns(schema, "Accounts")).toMatchObject({ id: "integer", updated_at: "timestamp", score: "number", meta: "json" });

    await adapter.stage(t, page("b1", [{ Id: 1, UpdatedAt: "2024-01-01T00:00:00Z", Score: 3, Later: null }]));
    const columns = await wh.columns(schema, "Accounts");
    expect(columns?.score).toBe("number");
    expect(columns).not.toHaveProperty("later");

    // A page whose records do not carry a schema field leaves its stored value alone.
    await adapter.stage(t, page("b2", [{ Id: 1, UpdatedAt: "2024-01-02T00:00:00Z" }]));
    expect((await wh.rows(schema, "Accounts", "id"))[0]).toMatchObject({ score: 3, _loader_batch_id: "b2" });
  });

  it("resolves column name collisions and reserved names deterministically", async () => {
    const t = target({ stream: "Things", cursor_field: null });
    await adapter.stage(t, page("b1", [{ Id: 1, fooBar: "camel", foo_bar: "snake", _loader_run_id: "from source" }]));
    await wh.adapter().stage(t, page("b2", [{ Id: 2, foo_bar: "snake2", fooBar: "camel2", _loader_run_id: "again" }]));

    const camel = `foo_bar_${stableHash("fooBar")}`;
    const reserved = `_loader_run_id_${stableHash("_loader_run_id")}`;
    const rows = await wh.rows(schema, "Things", "id");
    expect(rows.map((r) => [r.foo_bar, r[camel], r[reserved], r._loader_run_id])).toEqual([
      ["snake", "camel", "from source", "run-1"],
      ["snake2", "camel2", "again", "run-1"],
    ]);
  });

  it("rejects a record without its primary key value", async () => {
    await expect(adapter.stage(target(), page("b1", [{ Id: 1 }, { Name: "no id" }]))).rejects.toMatchObject({
      name: "WarehouseError",
      kind: "data",
      message: expect.stringContaining(`primary key field "Id"`),
    });
  });
});
