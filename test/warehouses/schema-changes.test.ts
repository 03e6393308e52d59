/**
 * Schema changes (issue 15 item 6) through the real adapters: D1, PostgreSQL, and Snowflake's fake for the staged
 * path (one code path, staged-warehouse.ts, serves the three REST warehouses). What planLoad reports, what each
 * schema_change_policy lets through, and that a blocked change leaves the table exactly as it was.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { SourceRecord } from "../../connectors/kit/contract";
import type { StreamTarget, WarehouseAdapter } from "../../src/warehouses/contract";
import { isWarehouseError } from "../../src/warehouses";
import { type SchemaChange, type SchemaChangePolicy, mergeSchemaChanges, schemaChangesOf } from "../../src/warehouses/schema-changes";
import { planLoad } from "../../src/warehouses/load-plan";
import type { ColumnType } from "../../src/warehouses/types";
import { d1Harness, postgresHarness, uniqueSchema } from "./harness";
import { snowflakeUnderTest } from "./staged-warehouses";

const SYNCED_AT = "2024-05-01T12:00:00.000Z";

interface Under {
  adapter(): WarehouseAdapter;
  rows(schema: string, stream: string, orderBy: string): Promise<Record<string, unknown>[]>;
  columns(schema: string, stream: string): Promise<Record<string, ColumnType> | null>;
  close(): Promise<void>;
}

const d1 = d1Harness();
const postgres = postgresHarness();
let snowflake: Awaited<ReturnType<typeof snowflakeUnderTest>> | undefined;
afterAll(async () => {
  await d1.close();
  await postgres.close();
});

const harnesses: Array<{ name: string; make: () => Promise<Under> }> = [
  { name: "d1", make: async () => ({ ...d1, adapter: () => d1.adapter(), close: async () => undefined }) },
  { name: "postgresql", make: async () => ({ ...postgres, adapter: () => postgres.adapter(), close: async () => undefined }) },
  {
    name: "snowflake",
    make: async () => {
      snowflake ??= await snowflakeUnderTest();
      const wh = snowflake;
      return { adapter: () => wh.adapter(), rows: (...a) => wh.rows(...a), columns: (...a) => wh.columns(...a), close: async () => undefined };
    },
  },
];

describe.each(harnesses)("schema changes on $name", ({ make }) => {
  /** One chunk of one run: prepared, staged as one group, committed; a full_refresh is swapped in too. */
  async function load(wh: Under, t: StreamTarget, records: SourceRecord[]): Promise<SchemaChange[]> {
    const seen: SchemaChange[] = [];
    const watched: StreamTarget = { ...t, schema_watch: { policy: t.schema_watch?.policy ?? "allow_all", observe: (changes) => seen.push(...changes) } };
    const adapter = wh.adapter();
    try {
      await adapter.prepareStream(watched);
      const batchId = `${t.run_id}:${t.stream}:0`;
      await adapter.stage(watched, { batch_id: batchId, records, synced_at: SYNCED_AT });
      await adapter.commit(watched, { chunk_id: `${t.run_id}:${t.stream}:c0`, batch_ids: [batchId] });
      await adapter.finalizeStream(watched);
    } catch (error) {
      await adapter.abortStream(watched).catch(() => undefined);
      throw Object.assign(error as Error, { seen });
    } finally {
      await adapter.close();
    }
    return mergeSchemaChanges([], seen);
  }
  const target = (schema: string, policy: SchemaChangePolicy, overrides: Partial<StreamTarget> = {}): StreamTarget => ({
    schema,
    stream: "Contacts",
    sync_mode: "incremental",
    primary_key: ["Id"],
    cursor_field: null,
    run_id: "run-1",
    schema_watch: { policy, observe: () => undefined },
    ...overrides,
  });
  const first = [{ Id: 1, Name: "Ada", Age: 36, Address: { city: "London" }, Amount: 12345678901234567890n }];

  it("allow_all adds the column and widens the type, reporting both; an unchanged load reports nothing", async () => {
    const wh = await make();
    const schema = uniqueSchema("sc");
    expect(await load(wh, target(schema, "allow_all"), first)).toEqual([]);
    // The same types again, big integers included (PostgreSQL reads numeric back as decimal): no change.
    expect(await load(wh, target(schema, "allow_all", { run_id: "run-2" }), [{ ...first[0], Id: 2 }])).toEqual([]);
    const changes = await load(wh, target(schema, "allow_all", { run_id: "run-3" }), [{ Id: 3, Name: "Grace", Age: 85.5, Score: 0.75 }]);
    expect(changes).toEqual([
      { column: "age", change: "type_changed", type: "number", from: "integer", decision: "allowed" },
      { column: "score", change: "column_added", type: "number", decision: "allowed" },
    ]);
    const columns = await wh.columns(schema, "Contacts");
    expect(columns).toMatchObject({ age: "number", score: "number" });
    expect((await wh.rows(schema, "Contacts", "id")).map((row) => [row.id, row.age, row.score])).toEqual([
      [1, 36, null],
      [2, 36, null],
      [3, 85.5, 0.75],
    ]);
  });

  it("allow_columns adds a column but fails on a type change, leaving the table as it was", async () => {
    const wh = await make();
    const schema = uniqueSchema("sc");
    await load(wh, target(schema, "allow_columns"), first);
    expect(await load(wh, target(schema, "allow_columns", { run_id: "run-2" }), [{ Id: 2, Name: "Lin", Nickname: "L" }])).toEqual([
      { column: "nickname", change: "column_added", type: "string", decision: "allowed" },
    ]);
    const before = { columns: await wh.columns(schema, "Contacts"), rows: await wh.rows(schema, "Contacts", "id") };
    const failure = await load(wh, target(schema, "allow_columns", { run_id: "run-3" }), [{ Id: 3, Name: "Kay", Age: "unknown" }]).catch((error: unknown) => error);
    expect(isWarehouseError(failure) && failure.kind).toBe("data");
    expect((failure as Error).message).toBe(
      'schema change blocked by schema_change_policy "allow_columns": column "age" changed from integer to string; ' +
        'the table was left as it was. Set schema_change_policy to "allow_all" to let it through',
    );
    expect((failure as { seen: SchemaChange[] }).seen).toEqual([{ column: "age", change: "type_changed", type: "string", from: "integer", decision: "blocked" }]);
    expect({ columns: await wh.columns(schema, "Contacts"), rows: await wh.rows(schema, "Contacts", "id") }).toEqual(before);
  });

  it("block refuses a new column before any DDL; a full_refresh is judged against the live table it would replace", async () => {
    const wh = await make();
    const schema = uniqueSchema("sc");
    const full = (run_id: string, policy: SchemaChangePolicy) => target(schema, policy, { sync_mode: "full_refresh", run_id });
    expect(await load(wh, full("run-1", "block"), [{ Id: 1, Name: "Ada" }])).toEqual([]);
    // A second full refresh of the same columns is no change, though it builds a new table.
    expect(await load(wh, full("run-2", "block"), [{ Id: 2, Name: "Bo" }])).toEqual([]);
    const before = { columns: await wh.columns(schema, "Contacts"), rows: await wh.rows(schema, "Contacts", "id") };
    const failure = await load(wh, full("run-3", "block"), [{ Id: 3, Name: "Cy", Email: "cy@example.com" }]).catch((error: unknown) => error);
    expect((failure as Error).message).toContain('schema change blocked by schema_change_policy "block": column "email" added (string)');
    expect({ columns: await wh.columns(schema, "Contacts"), rows: await wh.rows(schema, "Contacts", "id") }).toEqual(before);
    expect(await load(wh, full("run-4", "allow_all"), [{ Id: 4, Name: "Di", Email: "di@example.com" }])).toEqual([
      { column: "email", change: "column_added", type: "string", decision: "allowed" },
    ]);
    expect(await wh.rows(schema, "Contacts", "id")).toMatchObject([{ id: 4, email: "di@example.com" }]);
  });
});

describe("schema change records", () => {
  const target: StreamTarget = { schema: "s", stream: "Items", sync_mode: "incremental", primary_key: ["id"], cursor_field: null, run_id: "r" };

  it("never counts the loader's metadata columns, nor a table being created", () => {
    const plan = planLoad(target, [{ id: 1 }], [{ name: "id", type: "integer" }]);
    expect(plan.add.map((c) => c.name)).toContain("_loader_run_id");
    expect(schemaChangesOf(plan, [{ name: "id", type: "integer" }], "block")).toEqual([]);
    expect(schemaChangesOf(planLoad(target, [{ id: 1, x: "a" }], null), null, "block")).toEqual([]);
  });

  it("merges a run's reports: one entry per column, a column added then widened is reported added with its last type", () => {
    const merged = mergeSchemaChanges(
      [{ column: "a", change: "column_added", type: "integer", decision: "allowed" }, { column: "b", change: "type_changed", type: "number", from: "integer", decision: "allowed" }],
      [
        { column: "a", change: "type_changed", type: "string", from: "integer", decision: "allowed" },
        { column: "b", change: "type_changed", type: "string", from: "number", decision: "allowed" },
        { column: "a", change: "column_added", type: "string", decision: "allowed" },
      ],
    );
    expect(merged).toEqual([
      { column: "a", change: "column_added", type: "string", decision: "allowed" },
      { column: "b", change: "type_changed", type: "string", from: "integer", decision: "allowed" },
    ]);
  });
});
