/**
 * The PostgreSQL warehouse's straight COPY of full_refresh groups into the run's staging table (postgresql.ts
 * copiesStraight): the same rows as the upsert, and the upsert's merge rules whenever a group meets keys already
 * there (a redelivery, a superseded chunk).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StreamTarget, WriteBatch } from "../../src/warehouses/contract";
import type { SchemaChange } from "../../src/warehouses/schema-changes";
import { type Statement, postgresHarness, uniqueSchema } from "./harness";

const wh = postgresHarness();
const SYNCED_AT = "2024-05-01T12:00:00.000Z";
const page = (batch_id: string, records: WriteBatch["records"], synced_at = SYNCED_AT): WriteBatch => ({ batch_id, records, synced_at });

const straightCopies = (statements: Statement[]) => statements.filter((s) => /^COPY .* FROM STDIN$/.test(s.sql));
const upserts = (statements: Statement[]) => statements.filter((s) => s.sql.includes("INSERT INTO"));

describe("postgresql full_refresh straight copy", () => {
  let schema: string;
  let statements: Statement[];
  const target = (overrides: Partial<StreamTarget> = {}): StreamTarget => ({
    schema,
    stream: "Items",
    sync_mode: "full_refresh",
    primary_key: ["Id"],
    cursor_field: "UpdatedAt",
    run_id: "run-1",
    ...overrides,
  });

  beforeEach(() => {
    schema = uniqueSchema();
    statements = [];
  });
  afterEach(async () => {
    await wh.cleanup(schema);
  });
  afterAll(async () => {
    await wh.close();
  });

  it("copies groups of new keys straight into the staging table, values and metadata exact", async () => {
    const adapter = wh.adapter(statements);
    const t = target();
    await adapter.prepareStream(t);
    const text = 'tab\there\nline\r\\N back\\slash "quoted" \u0000end ünï 𝄞';
    expect(
      await adapter.stage(
        t,
        page("b1", [
          { Id: 1, Name: text, Meta: { path: "C:\\dir\tx", n: [1, "\n"] }, UpdatedAt: "2024-01-01T00:00:00Z", Amount: 1.5, Ok: true },
          { Id: 2, Name: null, Meta: null, UpdatedAt: "2024-01-01T00:00:00Z", Amount: null, Ok: false },
        ]),
      ),
    ).toEqual({ rows_staged: 2 });
    expect(await adapter.stage(t, page("b2", [{ Id: 3, Name: "\\N", UpdatedAt: "2024-01-02T00:00:00Z", _loader_deleted_at: "2024-01-03T00:00:00Z" }], "2024-05-01T12:05:00.000Z"))).toEqual({
      rows_staged: 1,
    });
    expect(straightCopies(statements)).toHaveLength(2);
    expect(upserts(statements)).toHaveLength(0);
    expect(statements.some((s) => s.sql.includes("TRUNCATE"))).toBe(false);

    await adapter.finalizeStream(t);
    const rows = await wh.rows(schema, "Items", "id");
    expect(rows.map((r) => [r.id, r.name, r.meta, r.amount, r.ok, r._loader_run_id, r._loader_synced_at, r._loader_batch_id, r._loader_deleted_at])).toEqual([
      [1, text.replace("\u0000", ""), { path: "C:\\dir\tx", n: [1, "\n"] }, 1.5, true, "run-1", SYNCED_AT, "b1", null],
      [2, null, null, null, false, "run-1", SYNCED_AT, "b1", null],
      [3, "\\N", null, null, null, "run-1", "2024-05-01T12:05:00.000Z", "b2", "2024-01-03T00:00:00.000Z"],
    ]);
  });

  it("a redelivered group meets its keys: it and the chunk's later groups upsert, with the merge rules", async () => {
    const t = target();
    const first = wh.adapter();
    await first.prepareStream(t);
    await first.stage(t, page("b1", [
      { Id: 1, Name: "a", UpdatedAt: "2024-01-02T00:00:00Z" },
      { Id: 2, Name: "b", UpdatedAt: "2024-01-02T00:00:00Z" },
    ]));

    // The redelivery (a new instance) writes the group again, one key now older, one newer, one new.
    const again = wh.adapter(statements);
    await again.prepareStream(t);
    expect(
      await again.stage(t, page("b1", [
        { Id: 1, Name: "older", UpdatedAt: "2024-01-01T00:00:00Z" },
        { Id: 2, Name: "newer", UpdatedAt: "2024-01-03T00:00:00Z" },
        { Id: 4, Name: "new", UpdatedAt: "2024-01-01T00:00:00Z" },
      ])),
    ).toEqual({ rows_staged: 2 });
    // The refused copy wrote nothing: no key twice, and the older version did not replace the newer one.
    expect(straightCopies(statements)).toHaveLength(1);
    expect(upserts(statements)).toHaveLength(1);
    await again.stage(t, page("b2", [{ Id: 5, Name: "later", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    expect(straightCopies(statements)).toHaveLength(1);
    expect(upserts(statements)).toHaveLength(2);
    // A tombstone for a key that is there keeps the values it does not carry.
    await again.stage(t, page("b3", [{ Id: 2, _loader_deleted_at: "2024-02-01T00:00:00Z" }]));

    await again.finalizeStream(t);
    const rows = await wh.rows(schema, "Items", "id");
    expect(rows.map((r) => [r.id, r.name, r._loader_batch_id, r._loader_deleted_at])).toEqual([
      [1, "a", "b1", null],
      [2, "newer", "b3", "2024-02-01T00:00:00.000Z"],
      [4, "new", "b1", null],
      [5, "later", "b2", null],
    ]);
  });

  it("a replayed run of straight copies leaves the table identical to the first", async () => {
    const t = target();
    const groups = [
      page("b1", [{ Id: 1, Name: "a", UpdatedAt: "2024-01-01T00:00:00Z" }, { Id: 1, Name: "a2", UpdatedAt: "2024-01-01T00:00:00Z" }]),
      page("b2", [{ Id: 2, Name: "b", UpdatedAt: "2024-01-01T00:00:00Z" }]),
    ];
    const first = wh.adapter(statements);
    await first.prepareStream(t);
    for (const group of groups) await first.stage(t, group);
    expect(straightCopies(statements)).toHaveLength(2);
    const replay = wh.adapter();
    for (const group of groups) await replay.stage(t, group);
    await replay.finalizeStream(t);
    expect((await wh.rows(schema, "Items", "id")).map((r) => [r.id, r.name, r._loader_batch_id])).toEqual([
      [1, "a2", "b1"],
      [2, "b", "b2"],
    ]);
  });

  it("a group refused by the schema change policy on its straight way reports the change with the failure", async () => {
    const seen: SchemaChange[] = [];
    const watched = (run_id: string) => target({ run_id, schema_watch: { policy: "block", observe: (changes) => seen.push(...changes) } });
    const first = wh.adapter();
    await first.prepareStream(watched("run-1"));
    await first.stage(watched("run-1"), page("b1", [{ Id: 1, Name: "a", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    await first.finalizeStream(watched("run-1"));
    const second = wh.adapter(statements);
    const t = watched("run-2");
    await second.prepareStream(t);
    await second.stage(t, page("b1", [{ Id: 2, Name: "b", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    expect(straightCopies(statements)).toHaveLength(1);
    await expect(second.stage(t, page("b2", [{ Id: 3, Name: "c", UpdatedAt: "2024-01-01T00:00:00Z", Email: "c@example.com" }]))).rejects.toThrow(
      /schema change blocked by schema_change_policy "block": column "email" added/,
    );
    expect(seen).toEqual([{ column: "email", change: "column_added", type: "string", decision: "blocked" }]);
  });

  it("incremental and keyless streams keep the temp table and the upsert or delete-insert", async () => {
    const adapter = wh.adapter(statements);
    await adapter.stage(target({ sync_mode: "incremental" }), page("b1", [{ Id: 1, Name: "a", UpdatedAt: "2024-01-01T00:00:00Z" }]));
    const keyless = target({ stream: "Logs", primary_key: [], cursor_field: null });
    await adapter.prepareStream(keyless);
    await adapter.stage(keyless, page("b1", [{ Line: "x" }]));
    expect(straightCopies(statements)).toHaveLength(0);
    expect(upserts(statements)).toHaveLength(2);
  });
});
