import { createMessageBatch, getQueueResult, createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleQueue } from "../../src/engine/queue-handler";
import { as, bootstrapWorkspace, createD1Source, expectError } from "../helpers/api";
import { createRestLoader, fakeControl, restConfig, uniqueName, waitForRun } from "../helpers/engine";

describe("run lifecycle edges", () => {
  it("a loader type whose reader is not built fails its run with a clear error, never silently", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = await as(owner)("/loaders", {
      method: "POST",
      body: {
        name: "Shop",
        loader_type: "shopify",
        source_id: sourceId,
        config: { shop: "my-store", access_token: "shpat_0123456789abcdef" },
        target_schema: "shop",
        selected_streams: [{ name: "orders" }],
        sync_mode: "full_refresh",
      },
    });
    expect(loader.status, JSON.stringify(loader.json)).toBe(201);
    expect(loader.json.status).toBe("active");
    const run = (await as(owner)(`/loaders/${loader.json.id}/trigger`, { method: "POST" })).json;
    const done = await waitForRun(owner, loader.json.id, run.id);
    expect(done).toMatchObject({ status: "failed", streams_failed: 1, rows_loaded: 0 });
    expect(done.error_message).toContain("shopify reader is not built yet");
    // Our gap, not the user's configuration: the loader stays active.
    expect((await as(owner)(`/loaders/${loader.json.id}`)).json.status).toBe("active");
  });

  it("GET run shows live counters while the run is running", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("live");
    await fakeControl(tenant, "seed", { count: 3000 });
    await fakeControl(tenant, "faults", { slow_ms: 40 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("live"),
    });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const live = await waitForRun(owner, loader.id, run.id, (r) => r.status === "running" && r.rows_loaded > 0);
    expect(live.status).toBe("running");
    expect(live.rows_loaded).toBeGreaterThan(0);
    expect(live.rows_loaded).toBeLessThan(3000);
    expect(live.streams[0]).toMatchObject({ name: "items", status: "running", rows_loaded: live.rows_loaded });
    await fakeControl(tenant, "faults", {});
    expect(await waitForRun(owner, loader.id, run.id)).toMatchObject({ status: "completed", rows_loaded: 3000 });
  });

  it("a chunk that exhausted its retries reaches the dead-letter queue and fails its stream with the last error", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("dlq");
    await fakeControl(tenant, "seed", { count: 100 });
    await fakeControl(tenant, "faults", { fail_first: 100000, status_first: 503 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("dlq"),
    });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    // The first delivery retries in process, then asks the queue to retry later: the stream notes its last error.
    await waitForRun(owner, loader.id, run.id, (r) => r.status === "running");
    const { runTracker } = await import("../../src/engine/dispatch");
    const stub = runTracker(env, run.id);
    for (let i = 0; i < 200; i++) {
      const snap = await stub.snapshot();
      if (snap.streams[0]?.last_error) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const batch = createMessageBatch("loaders-extract-dlq", [
      { id: "dead-1", timestamp: new Date(), attempts: 11, body: { kind: "extract", runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "items", chunk: 0 } },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["dead-1"]);
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(done.streams[0].error_message).toMatch(/gave up after 11 deliveries; last error: .*503/);
    expect((await as(owner)(`/loaders/${loader.id}`)).json.status).toBe("active");
  });
});

describe("bad query parameters", () => {
  it("answers 400 with details for page and page_size out of range on every list", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = (await as(owner)("/loaders", { method: "POST", body: { name: "x", loader_type: "salesforce", source_id: sourceId, config: { instance_url: "https://x.my.salesforce.com" }, target_schema: "x", selected_streams: [{ name: "Account" }], sync_mode: "full_refresh" } })).json;
    for (const path of ["/loaders", "/sources", "/api-keys", `/loaders/${loader.id}/runs`]) {
      for (const query of ["page=0", "page_size=101", "page=abc", "page_size=-1"]) {
        const res = await as(owner)(`${path}?${query}`);
        expectError(res, 400, "validation_failed");
        expect(res.json.details[0].path, `${path}?${query}`).toMatch(/^page(_size)?$/);
      }
    }
  });
});
