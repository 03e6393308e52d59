/**
 * The postgresql source against the real PostgreSQL of the machine: tables made by the test in a schema of its own,
 * discovered, read page by page (resuming from checkpoints), and loaded end to end through the engine into D1.
 */
import { describe, expect, it } from "vitest";
import type { Page } from "../../../connectors/kit/contract";
import { openSession } from "../../../connectors/postgresql/connection";
import { PAGE_ROWS, type SourceTable } from "../../../connectors/kit/sql-source";
import { postgresqlConnector } from "../../../connectors/postgresql";
import type { PostgresqlConfig } from "../../../connectors/postgresql/spec";
import { bootstrapWorkspace, createD1Source, pgConfig } from "../../helpers/api";
import { connectorContext, readPages, records } from "../../helpers/connector";
import { committedState, createLoader, d1Rows, triggerAndWait, uniqueName } from "../../helpers/engine";
import { postgresReader } from "../../helpers/postgres";

const { query, dropAfterAll } = postgresReader();
const CUSTOMERS = 2500;
const EVENTS = 1500;
const BIG = 9007199254740993n; // 2^53 + 1: a number would round it

/** A schema of its own with a keyed table (cursor column), a keyless table, a composite-key table and a view. */
async function sourceSchema(): Promise<string> {
  const schema = uniqueName("src");
  dropAfterAll(schema);
  await query(`create schema ${schema}`);
  await query(`create table ${schema}.customers (
    id bigint primary key, name text not null, balance numeric(12,2), big bigint, active boolean, tags text[],
    profile jsonb, avatar bytea, born date, updated_at timestamptz not null)`);
  // One hour apart, so that the incremental safety window (5 minutes) holds exactly the newest row.
  await query(`insert into ${schema}.customers
    select i, 'Customer ' || i, i * 1.25, case when i = 7 then ${BIG} else i end, i % 2 = 0, array['t' || (i % 3)],
           jsonb_build_object('n', i, 'vip', i % 10 = 0), '\\x0102ff'::bytea, date '1990-01-01' + i,
           timestamptz '2024-01-01 00:00:00.123456+00' + i * interval '1 hour'
      from generate_series(1, ${CUSTOMERS}) i`);
  await query(`create table ${schema}.events (kind text, at timestamptz)`);
  await query(`insert into ${schema}.events select 'e' || (i % 4), timestamptz '2024-01-01' + i * interval '1 minute' from generate_series(1, ${EVENTS}) i`);
  await query(`create table ${schema}.orders (region text, id int, total numeric, primary key (region, id))`);
  await query(`insert into ${schema}.orders values ('eu', 1, 10), ('eu', 2, 20), ('us', 1, 30)`);
  await query(`create view ${schema}.active_customers as select id, name from ${schema}.customers where active`);
  return schema;
}

function sourceConfig(schema: string): PostgresqlConfig {
  return postgresqlConnector.config.parse({ ...pgConfig(), schemas: [schema] });
}

describe("postgresql source", () => {
  it("discovers tables, keys, cursors and column types from the catalog", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const streams = (await postgresqlConnector.discover(ctx, sourceConfig(schema))) as SourceTable[];
    expect(streams.map((s) => [s.name, s.kind, s.primary_key, s.cursor_field, s.supported_sync_modes])).toEqual([
      [`${schema}.active_customers`, "v", [], null, ["full_refresh"]],
      [`${schema}.customers`, "r", ["id"], "updated_at", ["full_refresh", "incremental"]],
      [`${schema}.events`, "r", [], null, ["full_refresh"]],
      [`${schema}.orders`, "r", ["region", "id"], null, ["full_refresh"]],
    ]);
    const customers = streams[1]!;
    expect(customers.json_schema!.properties).toMatchObject({
      id: { type: ["integer", "null"] },
      balance: { type: ["string", "null"] },
      active: { type: ["boolean", "null"] },
      tags: { type: ["array", "null"] },
      profile: { type: ["object", "null"] },
      born: { type: ["string", "null"] },
      updated_at: { type: ["string", "null"], format: "date-time" },
    });
    expect(customers.columnTypes).toMatchObject({ balance: "numeric(12,2)", updated_at: "timestamp with time zone" });

    const narrowed = await postgresqlConnector.discover(ctx, { ...sourceConfig(schema), tables: ["orders", `${schema}.events`] });
    expect(narrowed.map((s) => s.name)).toEqual([`${schema}.events`, `${schema}.orders`]);
  });

  it("reads exact values in keyset pages that resume from any checkpoint without a gap or a repeat", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const config = sourceConfig(schema);
    const streams = await postgresqlConnector.discover(ctx, config);
    const customers = streams.find((s) => s.name === `${schema}.customers`)!;
    const request = (checkpoint: Page["checkpoint"] | null = null) => ({ stream: customers, sync_mode: "full_refresh" as const, state: null, checkpoint });

    const pages = await readPages(postgresqlConnector, ctx, config, request());
    expect(pages.map((p) => p.records.length)).toEqual([PAGE_ROWS, PAGE_ROWS, CUSTOMERS - 2 * PAGE_ROWS]);
    expect(pages.map((p) => p.checkpoint)).toEqual([{ after: ["1000"] }, { after: ["2000"] }, { after: ["2500"] }]);
    const rows = records(pages);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => BigInt(i + 1)));
    expect(rows[6]).toEqual({
      id: 7n,
      name: "Customer 7",
      balance: "8.75",
      big: BIG,
      active: false,
      tags: ["t1"],
      profile: { n: 7, vip: false },
      avatar: "AQL/",
      born: "1990-01-08",
      updated_at: "2024-01-01T07:00:00.123456Z",
    });

    // A chunk that stopped after the first page resumes right after it.
    const resumed = records(await readPages(postgresqlConnector, ctx, config, request(pages[0]!.checkpoint)));
    expect(resumed.map((r) => r.id)).toEqual(rows.slice(PAGE_ROWS).map((r) => r.id));

    // A composite key pages by all of its columns.
    const orders = streams.find((s) => s.name === `${schema}.orders`)!;
    const orderRows = records(await readPages(postgresqlConnector, ctx, config, { stream: orders, sync_mode: "full_refresh", state: null, checkpoint: { after: ["eu", "1"] } }));
    expect(orderRows).toEqual([
      { region: "eu", id: 2, total: "20" },
      { region: "us", id: 1, total: "30" },
    ]);
  });

  it("reads keyless tables by ctid and views by offset, every row once", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const config = sourceConfig(schema);
    const streams = await postgresqlConnector.discover(ctx, config);
    const read = (name: string, checkpoint: Page["checkpoint"] | null = null) =>
      readPages(postgresqlConnector, ctx, config, { stream: streams.find((s) => s.name === `${schema}.${name}`)!, sync_mode: "full_refresh", state: null, checkpoint });

    const events = await read("events");
    expect(events.map((p) => p.records.length)).toEqual([PAGE_ROWS, EVENTS - PAGE_ROWS]);
    expect(events[0]!.checkpoint).toEqual({ locator: expect.stringMatching(/^\(\d+,\d+\)$/) });
    const resumedEvents = records(await read("events", events[0]!.checkpoint));
    expect([...records(events.slice(0, 1)), ...resumedEvents].map((r) => r.at).sort()).toEqual(records(events).map((r) => r.at).sort());
    expect(new Set(records(events).map((r) => r.at)).size).toBe(EVENTS);

    const view = await read("active_customers");
    expect(view.map((p) => p.checkpoint)).toEqual([{ offset: PAGE_ROWS }, { offset: CUSTOMERS / 2 }]);
    expect(new Set(records(view).map((r) => r.id)).size).toBe(CUSTOMERS / 2);
  });

  it("reads incrementally from the high-water mark minus the safety window", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const config = sourceConfig(schema);
    const customers = (await postgresqlConnector.discover(ctx, config)).find((s) => s.name === `${schema}.customers`)!;
    const incremental = (state: Page["state"] | null) => readPages(postgresqlConnector, ctx, config, { stream: customers, sync_mode: "incremental", state: state ?? null, checkpoint: null });

    const first = await incremental(null);
    expect(records(first)).toHaveLength(CUSTOMERS);
    const state = first.at(-1)!.state!;
    expect(state).toEqual({ cursor: "2024-04-14 04:00:00.123456+00" });
    await query(`update ${schema}.customers set name = 'Renamed', updated_at = timestamptz '2030-01-01 00:00:00+00' where id in (3, 4)`);

    const second = records(await incremental(state));
    // The newest row of the last read is within the window; then the two changed rows, in cursor order.
    expect(second.map((r) => [r.id, r.name])).toEqual([[2500n, "Customer 2500"], [3n, "Renamed"], [4n, "Renamed"]]);
  });

  it("opens read-only sessions, refuses plain TCP outside development, and names what is wrong", async () => {
    const schema = await sourceSchema();
    const config = sourceConfig(schema);
    const session = await openSession(config, true);
    try {
      await expect(session.query(`insert into ${schema}.orders values ('x', 1, 1)`)).rejects.toMatchObject({ kind: "data", message: expect.stringContaining("25006") });
    } finally {
      await session.close();
    }
    expect(await query(`select count(*)::int as n from ${schema}.orders`)).toEqual([{ n: 3 }]);

    const { ctx } = connectorContext();
    await expect(postgresqlConnector.check({ ...ctx, development: false }, config)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("development mode") });
    await expect(postgresqlConnector.check(ctx, config)).resolves.toBeUndefined();
    await expect(postgresqlConnector.check(ctx, { ...config, schemas: [schema, "nope"] })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining('"nope"') });
    await expect(postgresqlConnector.check(ctx, { ...config, database: "no_such_database" })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("3D000") });
    await expect(postgresqlConnector.check(ctx, { ...config, port: 1 })).rejects.toMatchObject({ kind: "retryable" });
  });
});

describe("postgresql → D1, end to end", () => {
  it("loads every selected table, then only what changed, merged in place", async () => {
    const schema = await sourceSchema();
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const target = uniqueName("pg_src");
    const loader = await createLoader(owner, {
      name: "App database",
      loader_type: "postgresql",
      source_id: sourceId,
      config: { ...pgConfig(), schemas: [schema] },
      target_schema: target,
      sync_mode: "incremental",
      selected_streams: [
        { name: `${schema}.customers`, sync_mode: "incremental" },
        { name: `${schema}.events`, sync_mode: "full_refresh" },
        { name: `${schema}.active_customers`, sync_mode: "full_refresh" },
      ],
    });
    const table = (name: string) => `${target}__${schema}_${name}`;

    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", rows_loaded: CUSTOMERS + EVENTS + CUSTOMERS / 2, streams_total: 3, streams_failed: 0 });
    const loaded = await d1Rows(table("customers"));
    expect(loaded).toHaveLength(CUSTOMERS);
    expect(loaded[6]).toMatchObject({ id: 7, name: "Customer 7", balance: "8.75", big: String(BIG), active: 0, born: "1990-01-08", avatar: "AQL/", _loader_run_id: first.id });
    expect(JSON.parse(loaded[6].profile)).toEqual({ n: 7, vip: false });
    expect(await d1Rows(table("events"), "at")).toHaveLength(EVENTS);
    expect(await d1Rows(table("active_customers"))).toHaveLength(CUSTOMERS / 2);
    expect(await committedState(loader.id, `${schema}.customers`)).toEqual({ cursor: "2024-04-14 04:00:00.123456+00" });

    await query(`update ${schema}.customers set name = 'Renamed', updated_at = timestamptz '2030-01-01 00:00:00+00' where id in (3, 4)`);
    await query(`insert into ${schema}.customers (id, name, updated_at) values (9000, 'New', timestamptz '2030-01-01 00:00:00+00')`);
    const second = await triggerAndWait(owner, loader.id);
    const customersRun = second.streams.find((s: any) => s.name === `${schema}.customers`);
    // The window's one re-read row, the two changed and the new one.
    expect(customersRun).toMatchObject({ status: "completed", rows_loaded: 4 });
    const after = await d1Rows(table("customers"));
    expect(after).toHaveLength(CUSTOMERS + 1);
    expect(after.filter((r) => r.name === "Renamed").map((r) => r.id)).toEqual([3, 4]);
    expect(after.find((r) => r.id === 9000)).toMatchObject({ name: "New", _loader_run_id: second.id });
    expect(await committedState(loader.id, `${schema}.customers`)).toEqual({ cursor: "2030-01-01 00:00:00+00" });
  });
});
