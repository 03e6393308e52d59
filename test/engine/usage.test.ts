/**
 * A run's usage (issue 15 item 7) against what really happened: the fake's request log, the bodies it answered,
 * the rows in the warehouse, and the price table.
 */
import { describe, expect, it } from "vitest";
import type { RunUsage } from "../../src/engine/usage";
import { bootstrapWorkspace, createD1Source } from "../helpers/api";
import { createRestLoader, d1Rows, fakeControl, fakeRequests, fakeRestBase, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";

/** The estimate recomputed here from the published prices (USD per unit), term by term, to check the engine's arithmetic. */
function priced(u: RunUsage): number {
  return (
    u.worker_invocations * 0.3e-6 +
    u.chunk_cpu_ms_estimated * 0.02e-6 +
    (2 * u.queue_messages_sent + u.queue_messages_received) * 0.4e-6 +
    u.durable_object_requests * 0.15e-6 +
    (u.durable_object_wall_ms / 1000) * 0.128 * 12.5e-6 +
    u.d1_rows_read * 0.001e-6 +
    u.d1_rows_written * 1e-6
  );
}

describe("usage and cost of a run", () => {
  it("counts the requests and bytes the fake logged and answered, the pages, the rows, the chunks, and prices them", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("usage");
    await fakeControl(tenant, "seed", { count: 950 });
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("raw");
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: schema,
    });
    const run = await triggerAndWait(owner, loader.id);
    expect(run.status).toBe("completed");
    const usage = run.usage as RunUsage;
    const log = await fakeRequests(tenant);

    expect(log.length).toBeGreaterThan(0);
    expect(usage.source_requests).toBe(log.length);
    // Every logged request is one page of the cursor paginator (100 a page: ten of them).
    expect(usage.pages).toBe(log.length);
    expect(usage.pages).toBe(10);
    // The fake answers a request the same way again: the bodies of the logged requests, replayed, are the bytes received.
    let bytes = 0;
    for (const request of log) {
      const query = new URLSearchParams(request.query).toString();
      const answer = await fetch(`${fakeRestBase()}${request.path}${query ? `?${query}` : ""}`);
      bytes += (await answer.arrayBuffer()).byteLength;
    }
    expect(usage.source_bytes_received).toBe(bytes);

    expect(usage.rows_written).toBe(950);
    expect(await d1Rows(`${schema.toLowerCase()}__items`)).toHaveLength(950);
    // The D1 warehouse reports at least one written row per record (staging and the merge into the table).
    expect(usage.d1_rows_written).toBeGreaterThanOrEqual(950);
    expect(usage.warehouse_statements).toBeGreaterThan(0);
    expect(usage.warehouse_requests).toBe(0);

    // CHUNK_MAX_PAGES is 4 in tests: ten pages are three chunks, each a message sent, received once, one invocation.
    expect(usage.queue_messages_sent).toBe(3);
    expect(usage.queue_messages_received).toBe(3);
    expect(usage.worker_invocations).toBe(3);
    // At least: the start, and per chunk its claim, a report and the call that hands the stream on or completes it.
    expect(usage.durable_object_requests).toBeGreaterThanOrEqual(1 + 3 * 3);
    expect(usage.chunk_cpu_ms_estimated).toBe(usage.chunk_wall_ms);

    expect(run.estimated_cost_usd).toBeGreaterThan(0);
    // The engine rounds its own sum to 1e-8 USD; summed in another order, a total that falls on a rounding boundary
    // can round the other way (CI saw 0.00096932 against 0.00096931): within one unit of that last place.
    expect(Math.abs(run.estimated_cost_usd - priced(usage))).toBeLessThanOrEqual(1e-8);
  });

  it("counts every attempt: requests the source refused and the client retried are in the log and in the usage", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("usage_retry");
    await fakeControl(tenant, "seed", { count: 250 });
    await fakeControl(tenant, "faults", { fail_first: 2, status_first: 429, retry_after: 0 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("raw"),
    });
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 250 });
    const log = await fakeRequests(tenant);
    // Three pages, the first one asked three times.
    expect(log).toHaveLength(5);
    expect(run.usage).toMatchObject({ source_requests: 5, pages: 3, rows_written: 250 });
  });
});
