import { env } from "cloudflare:workers";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { workerdSocket } from "../../src/warehouses/pg-socket";
import { as, bootstrapWorkspace, pgConfig } from "../helpers/api";
import { createRestLoader, fakeControl, fakeRestBase, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";

const schemas: string[] = [];

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: env.PG_URL, stream: workerdSocket(false) });
  // Without a listener, the socket's close after end() surfaces as an unhandled error in workerd.
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const schema of schemas) await query(`drop schema if exists "${schema}" cascade`);
});

describe("rest_api → PostgreSQL, end to end", () => {
  it("loads exact rows and types, merges incremental changes in place, and replaces full_refresh tables", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("pg");
    await fakeControl(tenant, "seed", { count: 1100 });
    const source = await as(owner)("/sources", { method: "POST", body: { name: "Postgres", source_type: "postgresql", config: pgConfig() } });
    expect(source.status).toBe(201);
    const schema = uniqueName("CRM_RAW");
    schemas.push(schema.toLowerCase());
    const loader = await createRestLoader(
      owner,
      source.json.id,
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

    const items = (await (await fetch(`${fakeRestBase()}/t/${tenant}/all/items`)).json()) as any[];
    const s = schema.toLowerCase();
    const rows = await query<any>(`select * from "${s}"."items" order by id`);
    expect(rows).toHaveLength(1100);
    const first42 = rows.find((r) => Number(r.id) === 42);
    const item42 = items.find((i) => i.id === 42);
    expect(first42).toMatchObject({ name: item42.name, status: item42.status, _loader_run_id: first.id });
    expect(Number(first42.amount)).toBe(item42.amount);
    expect(first42.owner).toEqual(item42.owner);
    const columns = await query<{ column_name: string; data_type: string }>(
      "select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = 'items'",
      [s],
    );
    const types = Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]));
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
