import { describe, expect, it } from "vitest";
import { bootstrapWorkspace } from "../helpers/api";
import { createRestLoader, fakeControl, fakeItems, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";
import { createPostgresSource, postgresReader } from "../helpers/postgres";

const { query, columnTypes, dropAfterAll } = postgresReader();

describe("rest_api → PostgreSQL, end to end", () => {
  it("loads exact rows and types, merges incremental changes in place, and replaces full_refresh tables", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("pg");
    await fakeControl(tenant, "seed", { count: 1100 });
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("CRM_RAW");
    dropAfterAll(schema.toLowerCase());
    const loader = await createRestLoader(
      owner,
      sourceId,
      restConfig(tenant, [
        { name: "items", path: "/cursor/items", incremental: true },
        { name: "itemSnapshot", path: "/cursor/items" },
      ]),
      [
        { name: "items", sync_mode: "incremental" },
        { name: "itemSnapshot", sync_mode: "full_refresh" },
      ],
      { target_schema: schema },
    );

    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", rows_loaded: 2200, streams_total: 2, streams_failed: 0 });

    const items = await fakeItems(tenant);
    const s = schema.toLowerCase();
    const rows = await query<any>(`select * from "${s}"."items" order by id`);
    expect(rows).toHaveLength(1100);
    const first42 = rows.find((r) => Number(r.id) === 42);
    const item42 = items.find((i) => i.id === 42);
    expect(first42).toMatchObject({ name: item42.name, status: item42.status, _loader_run_id: first.id });
    expect(Number(first42.amount)).toBe(item42.amount);
    expect(first42.owner).toEqual(item42.owner);
    const types = await columnTypes(s, "items");
    expect(types).toMatchObject({ id: "bigint", name: "text", amount: "double precision", owner: "jsonb", tags: "jsonb" });
    expect(await query(`select 1 from "${s}"."item_snapshot"`)).toHaveLength(1100);

    await fakeControl(tenant, "touch", { ids: [42, 43] });
    const second = await triggerAndWait(owner, loader.id);
    expect(second.status).toBe("completed");
    const after = await query<any>(`select * from "${s}"."items" order by id`);
    expect(after).toHaveLength(1100);
    expect(after.find((r) => Number(r.id) === 42)).toMatchObject({ name: "Item 42 (rev 1)", _loader_run_id: second.id });
    expect(await query(`select 1 from "${s}"."item_snapshot"`)).toHaveLength(1100);

    await fakeControl(tenant, "seed", { count: 700 });
    const third = await triggerAndWait(owner, loader.id);
    expect(third.streams.find((x: any) => x.name === "itemSnapshot")).toMatchObject({ status: "completed", rows_loaded: 700 });
    expect(await query(`select 1 from "${s}"."item_snapshot"`)).toHaveLength(700);
    const tables = await query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = $1 order by 1", [s]);
    expect(tables.map((t) => t.table_name)).toEqual(["item_snapshot", "items"]);
  });
});
