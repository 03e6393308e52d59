/**
 * Schema changes end to end (issue 15 item 6): the fake REST API starts sending a new field and another type for an
 * existing one; the run object lists what each stream added and widened, its event log and a `schema.changed`
 * webhook say so, and each schema_change_policy lets through exactly what it promises — a blocked change fails the
 * stream, keeps the table as it was and does not advance the cursor.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, expectError } from "../helpers/api";
import { createPostgresSource, postgresReader } from "../helpers/postgres";
import { fakeBase } from "../helpers/connector";
import { committedState, createRestLoader, d1Rows, fakeControl, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";
import { waitFor } from "../helpers/wait";

const pg = postgresReader();
const receiverBase = () => fakeBase("webhook-receiver");
const received = async (name: string): Promise<Array<{ body: string }>> => (await fetch(`${receiverBase()}/r/${name}/_control/received`)).json() as Promise<any>;

async function columnsOf(table: string): Promise<Record<string, string>> {
  const rows = await env.WAREHOUSE.prepare("select name, type from pragma_table_info(?1) order by cid").bind(table).all<{ name: string; type: string }>();
  return Object.fromEntries(rows.results.map((r) => [r.name, r.type]));
}

describe("schema changes through the engine", () => {
  it("allow_all: the run lists the added column and the widened type, logs them, and fires schema.changed", async () => {
    const owner = await bootstrapWorkspace();
    const receiver = uniqueName("schema_rcv");
    const hook = await as(owner)("/webhooks", { method: "POST", body: { url: `https://hooks.example.com/r/${receiver}`, events: ["schema.changed"] } });
    expect(hook.status).toBe(201);
    const tenant = uniqueName("schema_all");
    await fakeControl(tenant, "seed", { count: 30 });
    const schema = uniqueName("sc");
    const loader = await createRestLoader(owner, await createD1Source(owner), restConfig(tenant, [{ name: "items", path: "/cursor/items", incremental: true }]), [
      { name: "items", sync_mode: "incremental" },
    ], { target_schema: schema });
    expect(loader.schema_change_policy).toBe("allow_all");
    const first = await triggerAndWait(owner, loader.id);
    expect(first.streams[0]).not.toHaveProperty("schema_changes");

    await fakeControl(tenant, "touch", { ids: [3, 7], fields: { priority: 2, amount: "pending review" } });
    const second = await triggerAndWait(owner, loader.id);
    expect(second.status).toBe("completed");
    expect(second.streams[0].schema_changes).toEqual([
      { column: "amount", change: "type_changed", type: "string", from: "number", decision: "allowed" },
      { column: "priority", change: "column_added", type: "integer", decision: "allowed" },
    ]);
    const table = `${schema}__items`;
    expect(await columnsOf(table)).toMatchObject({ priority: "INTEGER", amount: "TEXT" });
    const rows = await d1Rows(table);
    expect(rows.find((r) => r.id === 3)).toMatchObject({ priority: 2, amount: "pending review" });
    expect(rows.find((r) => r.id === 4)).toMatchObject({ priority: null, amount: String(((4 * 1237) % 100_000) / 100) });

    const logs = (await as(owner)(`/loaders/${loader.id}/runs/${second.id}/logs`)).json;
    expect(logs.filter((e: any) => e.type === "stream.schema_changed").map((e: any) => e.data.changes).flat()).toEqual(second.streams[0].schema_changes);
    const [event] = await waitFor(() => received(receiver).then((r) => r.length === 1 && r), "the schema.changed delivery");
    expect(JSON.parse(event!.body)).toMatchObject({
      type: "schema.changed",
      data: { run: { id: second.id, loader_id: loader.id, status: "completed" }, streams: [{ name: "items", status: "completed", schema_changes: second.streams[0].schema_changes }] },
    });
    // A third run without changes reports none and fires nothing more.
    await fakeControl(tenant, "touch", { ids: [3] });
    expect((await triggerAndWait(owner, loader.id)).streams[0]).not.toHaveProperty("schema_changes");
    await new Promise((r) => setTimeout(r, 300));
    expect(await received(receiver)).toHaveLength(1);
  });

  it("allow_columns takes a new column but fails the stream on a type change, table and cursor left as they were", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("schema_cols");
    await fakeControl(tenant, "seed", { count: 20 });
    const schema = uniqueName("sc");
    const loader = await createRestLoader(owner, await createD1Source(owner), restConfig(tenant, [{ name: "items", path: "/cursor/items", incremental: true }]), [
      { name: "items", sync_mode: "incremental" },
    ], { target_schema: schema, schema_change_policy: "allow_columns" });
    await triggerAndWait(owner, loader.id);
    await fakeControl(tenant, "touch", { ids: [2], fields: { region: "eu" } });
    const added = await triggerAndWait(owner, loader.id);
    expect(added.status).toBe("completed");
    expect(added.streams[0].schema_changes).toEqual([{ column: "region", change: "column_added", type: "string", decision: "allowed" }]);

    const table = `${schema}__items`;
    const before = { columns: await columnsOf(table), rows: await d1Rows(table), state: await committedState(loader.id, "items") };
    await fakeControl(tenant, "touch", { ids: [5], fields: { amount: { value: 1, currency: "EUR" } } });
    const refused = await triggerAndWait(owner, loader.id);
    expect(refused).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(refused.streams[0]).toMatchObject({
      status: "failed",
      error_message: expect.stringContaining('schema change blocked by schema_change_policy "allow_columns": column "amount" changed from number to json'),
      schema_changes: [{ column: "amount", change: "type_changed", type: "json", from: "number", decision: "blocked" }],
    });
    expect({ columns: await columnsOf(table), rows: await d1Rows(table), state: await committedState(loader.id, "items") }).toEqual(before);
    // A data failure, not a configuration one: the loader stays active and the next run tries again.
    expect((await as(owner)(`/loaders/${loader.id}`)).json.status).toBe("active");

    // Once the user allows it, the same records load.
    const updated = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { schema_change_policy: "allow_all" } });
    expect(updated.json.schema_change_policy).toBe("allow_all");
    const allowed = await triggerAndWait(owner, loader.id);
    expect(allowed.status).toBe("completed");
    expect(allowed.streams[0].schema_changes).toEqual([{ column: "amount", change: "type_changed", type: "json", from: "number", decision: "allowed" }]);
  });

  it("block refuses a new column of a full_refresh on PostgreSQL, keeping the live table; bad policies are 400s", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("schema_block");
    await fakeControl(tenant, "seed", { count: 12 });
    const schema = uniqueName("sc_block");
    pg.dropAfterAll(schema);
    const loader = await createRestLoader(owner, await createPostgresSource(owner), restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [
      { name: "items", sync_mode: "full_refresh" },
    ], { target_schema: schema, schema_change_policy: "block" });
    const first = await triggerAndWait(owner, loader.id);
    expect(first.status).toBe("completed");
    const live = async () => ({ columns: await pg.columnTypes(schema, "items"), rows: await pg.query(`select id, name, _loader_run_id from "${schema}".items order by id`) });
    const before = await live();
    expect(before.rows).toHaveLength(12);
    await fakeControl(tenant, "touch", { ids: [1], fields: { discount: 0.5 } });
    const refused = await triggerAndWait(owner, loader.id);
    expect(refused.streams[0]).toMatchObject({
      status: "failed",
      error_message: expect.stringContaining('column "discount" added (number)'),
      schema_changes: [{ column: "discount", change: "column_added", type: "number", decision: "blocked" }],
    });
    expect(refused.rows_loaded).toBe(0);
    expect(await live()).toEqual(before);
    expect(await pg.query("select table_name from information_schema.tables where table_schema = $1", [schema])).toEqual([{ table_name: "items" }]);

    const bad = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { schema_change_policy: "sometimes" } });
    expectError(bad, 400, "validation_failed");
    expect(JSON.stringify(bad.json)).toContain("schema_change_policy");
    expect((await as(owner)(`/loaders/${loader.id}`)).json.schema_change_policy).toBe("block");
  });
});
