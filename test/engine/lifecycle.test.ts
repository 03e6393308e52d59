import { createMessageBatch, getQueueResult, createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/engine/clock";
import { engineDeps } from "../../src/engine/deps";
import { runTracker } from "../../src/engine/dispatch";
import { handleQueue } from "../../src/engine/queue-handler";
import { as, bootstrapWorkspace, createD1Source, expectError } from "../helpers/api";
import { createRestLoader, fakeControl, fakeRequests, restConfig, uniqueName, waitForRun } from "../helpers/engine";
import { waitFor } from "../helpers/wait";

describe("run lifecycle edges", () => {
  it("a loader type whose reader is not built fails its run with a clear error, never silently", async () => {
    // The API refuses to activate such a loader; a run can still meet a type without a reader (a loader saved by a
    // version that had one). The registry is made to lack rest_api's reader for this test.
    const original = engineDeps.connectorFor;
    engineDeps.connectorFor = (type) => (type === "rest_api" ? undefined : original(type));
    try {
      const owner = await bootstrapWorkspace();
      const sourceId = await createD1Source(owner);
      const tenant = uniqueName("noreader");
      const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
        target_schema: uniqueName("noreader"),
      });
      const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
      const done = await waitForRun(owner, loader.id, run.id);
      expect(done).toMatchObject({ status: "failed", streams_failed: 1, rows_loaded: 0 });
      expect(done.error_message).toContain("rest_api reader is not built yet");
      // Our gap, not the user's configuration: the loader stays active, and the source was never asked.
      expect((await as(owner)(`/loaders/${loader.id}`)).json.status).toBe("active");
      expect(await fakeRequests(tenant)).toEqual([]);
    } finally {
      engineDeps.connectorFor = original;
    }
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

  it("a chunk that exhausted its retries reaches the dead-letter queue and fails its stream with the attempts made and the last error", async () => {
    // The engine's clock, injected: the in-process backoff is recorded instead of slept through, with fixed jitter.
    const slept: number[] = [];
    const original = engineDeps.clock;
    engineDeps.clock = { ...systemClock, sleep: async (ms) => void slept.push(ms), random: () => 0.5 };
    try {
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
      const stub = runTracker(env, run.id);
      await waitFor(async () => (await stub.snapshot()).streams[0]?.last_error, "a retry noted", 30_000);
      // Full jitter at 0.5 of 1, 2, 4, 8 s between the five attempts, none of it slept.
      expect(slept.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
      // The dead-letter queue counts its own deliveries from 1: the message must not take its figure from there.
      const batch = createMessageBatch("loaders-extract-dlq", [
        { id: "dead-1", timestamp: new Date(), attempts: 1, body: { kind: "extract", runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "items", chunk: 0 } },
      ]);
      const ctx = createExecutionContext();
      await handleQueue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual(["dead-1"]);
      const done = await waitForRun(owner, loader.id, run.id);
      expect(done).toMatchObject({ status: "failed", streams_failed: 1 });
      const said = /gave up after (\d+) deliveries of chunk 0 \((\d+) requests to the source\); last error: .*503/.exec(done.streams[0].error_message);
      expect(said, done.streams[0].error_message).not.toBeNull();
      const [deliveries, requests] = [Number(said![1]), Number(said![2])];
      // Five attempts per failed delivery, each one a request the fake logged.
      expect(requests).toBeGreaterThanOrEqual(5);
      expect(requests % 5).toBe(0);
      expect(deliveries).toBeGreaterThanOrEqual(requests / 5);
      expect((await fakeRequests(tenant)).length).toBeGreaterThanOrEqual(requests);
      expect((await as(owner)(`/loaders/${loader.id}`)).json.status).toBe("active");
    } finally {
      engineDeps.clock = original;
    }
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
