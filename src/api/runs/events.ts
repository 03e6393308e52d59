import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { latestRunEventId, listRunEvents } from "../../services/runs/run-events";
import { getRunRow } from "../../services/runs/run-store";
import { defineRoute } from "../route";
import { runParams } from "./get";

const eventBody = z.object({
  id: z.number().int().describe("Increasing within the run; the SSE event id"),
  at: z.string(),
  type: z.enum(["run.started", "stream.started", "stream.rows_written", "stream.retry_scheduled", "stream.completed", "stream.failed", "stream.cancelled", "run.ended"]),
  stream: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).describe("rows_added/rows_loaded, attempt/reason/retry_at, error, status"),
});

const POLL_MS = 500;
/** An SSE connection ends after this; a client reconnects with Last-Event-ID and misses nothing. */
const MAX_STREAM_MS = 10 * 60_000;

export const runLogsRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loaders/{loaderId}/runs/{runId}/logs",
    operationId: "listRunLogs",
    summary: "A run's event log",
    description: "The run's events, oldest first (the last 1,000 are kept with the run). `after` answers only events with a greater id.",
    tag: "Runs",
    auth: "workspace",
    params: runParams,
    query: z.object({ after: z.coerce.number().int().min(0).optional() }),
    responses: { 200: { description: "Events", schema: z.array(eventBody) } },
  },
  async (c, { params, query }) => {
    const ctx = c.get("services");
    await getRunRow(ctx, params.id, params.loaderId, params.runId);
    return c.json(await listRunEvents(ctx, params.runId, query.after ?? 0));
  },
);

export const runEventsRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loaders/{loaderId}/runs/{runId}/events",
    operationId: "streamRunEvents",
    summary: "Follow a run live",
    description:
      "Server-Sent Events: one event per run event (SSE `event` = its type, `id` = its id, `data` = the event as in …/logs), from the start (or after `Last-Event-ID`), live while the run goes on, ending after `run.ended`.",
    tag: "Runs",
    auth: "workspace",
    params: runParams,
    responses: { 200: { description: "Event stream", eventStream: true } },
  },
  async (c, { params }) => {
    const ctx = c.get("services");
    await getRunRow(ctx, params.id, params.loaderId, params.runId);
    const resumeFrom = Number(c.req.header("last-event-id") ?? "0");
    return streamSSE(c, async (stream) => {
      let last = Number.isSafeInteger(resumeFrom) && resumeFrom > 0 ? resumeFrom : 0;
      const until = Date.now() + MAX_STREAM_MS;
      for (;;) {
        const events = await listRunEvents(ctx, params.runId, last, 200);
        for (const event of events) {
          await stream.writeSSE({ event: event.type, id: String(event.id), data: JSON.stringify(event) });
          last = event.id;
          if (event.type === "run.ended") return;
        }
        if (events.length > 0) continue;
        const run = await getRunRow(ctx, params.id, params.loaderId, params.runId);
        // A run that ended before events were recorded (older runs) has no run.ended to wait for.
        if (run.status !== "pending" && run.status !== "running" && last >= (await latestRunEventId(ctx, params.runId))) return;
        if (Date.now() > until || stream.aborted) return;
        await stream.sleep(POLL_MS);
      }
    });
  },
);
