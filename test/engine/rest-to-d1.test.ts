import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";
import { committedState, createRestLoader, d1Rows, fakeControl, fakeItems, fakeRequests, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";

describe("rest_api → D1, end to end through the queue and the RunTracker", () => {
  it("loads every record exactly once, with the exact counters, and sends the documented requests", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("e2e");
    await fakeControl(tenant, "seed", { count: 2500 });
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("raw");
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items", incremental: true }]), [
      { name: "items", sync_mode: "incremental" },
    ], { target_schema: schema });

    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 2500, streams_total: 1, streams_failed: 0, error_message: "", completed_at: expect.any(String), job_id: expect.any(String) });
    expect(run.streams).toEqual([{ name: "items", sync_mode: "incremental", status: "completed", rows_loaded: 2500, error_message: "" }]);

    const rows = await d1Rows(`${schema.toLowerCase()}__items`);
    const source = await fakeItems(tenant);
    expect(rows).toHaveLength(2500);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const item of source) {
      const row = byId.get(item.id);
      expect(row).toMatchObject({ id: item.id, name: item.name, status: item.status, amount: item.amount, updated_at: item.updated_at, _loader_run_id: run.id });
      expect(JSON.parse(row.owner)).toEqual(item.owner);
      expect(JSON.parse(row.tags)).toEqual(item.tags);
    }

    // Requests: first page without a cursor, later pages with the previous page's cursor; a first incremental run sends no filter.
    const requests = (await fakeRequests(tenant)).filter((r) => r.path.endsWith("/cursor/items"));
    expect(requests).toHaveLength(25);
    expect(requests[0]!.query).toEqual({ limit: "100" });
    expect(requests[1]!.query).toMatchObject({ limit: "100", after: expect.any(String) });
    expect(requests.every((r) => r.query.updated_since === undefined)).toBe(true);

    const loaderAfter = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(loaderAfter).toMatchObject({ last_run_id: run.id, status: "active" });
    expect(await committedState(loader.id, "items")).toMatchObject({ cursor: source.at(-1).updated_at });
  });

  it("incremental: the next run asks only for changes and updates rows in place; no change loads nothing new", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("incr");
    await fakeControl(tenant, "seed", { count: 600 });
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("raw");
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items", incremental: true }]), [
      { name: "items", sync_mode: "incremental" },
    ], { target_schema: schema });
    const first = await triggerAndWait(owner, loader.id);
    expect(first.rows_loaded).toBe(600);
    const maxCursor = (await fakeItems(tenant)).at(-1).updated_at;

    await fakeControl(tenant, "requests", undefined, "DELETE");
    const touched = await fakeControl(tenant, "touch", { ids: [5, 17, 230] });
    await fakeControl(tenant, "insert", { count: 4 });
    const second = await triggerAndWait(owner, loader.id);
    expect(second.status).toBe("completed");
    const sent = (await fakeRequests(tenant)).filter((r) => r.path.endsWith("/cursor/items"));
    expect(sent[0]!.query).toEqual({ limit: "100", updated_since: maxCursor });
    // The inclusive lower bound re-reads the items that share the boundary second (ties), merged by id.
    const ties = (await fakeItems(tenant)).filter((i) => i.updated_at === maxCursor).length;
    expect(second.rows_loaded).toBe(3 + 4 + ties);

    const rows = await d1Rows(`${schema.toLowerCase()}__items`);
    expect(rows).toHaveLength(604);
    const row17 = rows.find((r) => r.id === 17);
    expect(row17).toMatchObject({ name: "Item 17 (rev 1)", updated_at: touched.updated_at, _loader_run_id: second.id });
    expect(rows.filter((r) => r._loader_run_id === first.id)).toHaveLength(604 - second.rows_loaded);

    const third = await triggerAndWait(owner, loader.id);
    const items = await fakeItems(tenant);
    const newest = items.at(-1).updated_at;
    expect(third.status).toBe("completed");
    // Nothing changed: only the boundary ties (the 4 inserted items share the newest second) are read again.
    expect(third.rows_loaded).toBe(items.filter((i) => i.updated_at === newest).length);
    expect(third.rows_loaded).toBe(4);
    const after = await d1Rows(`${schema.toLowerCase()}__items`);
    expect(after).toHaveLength(604);
    expect(after.map(({ _loader_run_id, _loader_synced_at, _loader_batch_id, ...rest }) => rest)).toEqual(
      rows.map(({ _loader_run_id, _loader_synced_at, _loader_batch_id, ...rest }) => rest),
    );
  });

  it("full_refresh replaces the table: records gone from the source are gone from the table", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("full");
    await fakeControl(tenant, "seed", { count: 500 });
    const sourceId = await createD1Source(owner);
    const config = restConfig(tenant, [{ name: "widgets", path: "/page/items" }]);
    (config.streams[0] as any).records_path = "items";
    (config.streams[0] as any).paginator = { type: "page_number", page_param: "page", size_param: "per_page", page_size: 100, total_pages_path: "meta.total_pages" };
    const schema = uniqueName("raw");
    const loader = await createRestLoader(owner, sourceId, config, [{ name: "widgets", sync_mode: "full_refresh" }], { target_schema: schema });
    expect((await triggerAndWait(owner, loader.id)).rows_loaded).toBe(500);
    expect(await d1Rows(`${schema.toLowerCase()}__widgets`)).toHaveLength(500);

    await fakeControl(tenant, "seed", { count: 320 });
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", rows_loaded: 320 });
    const rows = await d1Rows(`${schema.toLowerCase()}__widgets`);
    expect(rows).toHaveLength(320);
    expect(new Set(rows.map((r) => r._loader_run_id))).toEqual(new Set([second.id]));
    const staging = await env.WAREHOUSE.prepare("select name from sqlite_master where type = 'table' and name like ?").bind(`${schema.toLowerCase()}__widgets%`).all();
    expect(staging.results.map((r: any) => r.name)).toEqual([`${schema.toLowerCase()}__widgets`]);
  });
});
