/**
 * Live runs (issue 15 item 4): an SSE client follows a run through a retry to its end, in order; the run object
 * shows the retry (attempts, last_error, retry_at) while it is scheduled; `…/logs` answers the same events afterwards.
 */
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, expectError } from "../helpers/api";
import { createRestLoader, fakeControl, restConfig, uniqueName, waitForRun } from "../helpers/engine";

function sseEvents(text: string) {
  return text
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1],
      id: /^id: (.*)$/m.exec(block)?.[1],
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
    }));
}

describe("run events", () => {
  it("streams a run's events in order through a retry to the end, and keeps them as its log", async () => {
    const owner = await bootstrapWorkspace();
    const other = await bootstrapWorkspace("Other");
    const tenant = uniqueName("events");
    await fakeControl(tenant, "seed", { count: 450 });
    // Five 503s spend the first delivery's in-process attempts: the queue retries the chunk, which then succeeds.
    await fakeControl(tenant, "faults", { fail_first: 5, status_first: 503, retry_after: 0 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("events"),
    });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const following = as(owner)(`/loaders/${loader.id}/runs/${run.id}/events`);

    const retrying = await waitForRun(owner, loader.id, run.id, (r) => Boolean(r.streams[0]?.last_error));
    expect(retrying.streams[0]).toMatchObject({ status: "running", attempts: 1, last_error: expect.stringContaining("503"), retry_at: expect.any(String) });

    const res = await following;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = sseEvents(res.text);
    const types = events.map((e) => e.event);
    expect(types[0]).toBe("run.started");
    expect(types.at(-1)).toBe("run.ended");
    expect(types.indexOf("stream.started")).toBeLessThan(types.indexOf("stream.retry_scheduled"));
    expect(types.indexOf("stream.retry_scheduled")).toBeLessThan(types.indexOf("stream.rows_written"));
    expect(types.indexOf("stream.rows_written")).toBeLessThan(types.indexOf("stream.completed"));
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const retry = events.find((e) => e.event === "stream.retry_scheduled")!.data;
    expect(retry).toMatchObject({ stream: "items", data: { attempt: 1, reason: expect.stringContaining("503"), retry_at: expect.any(String) } });
    const written = events.filter((e) => e.event === "stream.rows_written").map((e) => e.data.data);
    expect(written.reduce((sum, w) => sum + w.rows_added, 0)).toBe(450);
    expect(written.at(-1).rows_loaded).toBe(450);
    expect(events.at(-1)!.data.data).toMatchObject({ status: "completed", rows_loaded: 450 });

    const logs = await as(owner)(`/loaders/${loader.id}/runs/${run.id}/logs`);
    expect(logs.json).toEqual(events.map((e) => e.data));
    const after = await as(owner)(`/loaders/${loader.id}/runs/${run.id}/logs?after=${ids[1]}`);
    expect(after.json.map((e: any) => e.id)).toEqual(ids.slice(2));
    // Reconnecting with Last-Event-ID resumes after it.
    const resumed = sseEvents((await as(owner)(`/loaders/${loader.id}/runs/${run.id}/events`, { headers: { "last-event-id": String(ids.at(-3)) } })).text);
    expect(resumed.map((e) => Number(e.id))).toEqual(ids.slice(-2));

    expectError(await as(other)(`/loaders/${loader.id}/runs/${run.id}/events`), 404, "not_found");
    expectError(await as(other)(`/loaders/${loader.id}/runs/${run.id}/logs`), 404, "not_found");
  });
});
