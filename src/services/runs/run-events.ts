/**
 * A run's events, derived where the tracker reports its progress (writeRunProgress): the change from the run as D1
 * last held it to the run as the tracker reports it now is a list of events — stream started, rows written (with the
 * stream's total), schema changed (the columns added or widened since), retry scheduled (attempt, reason, when), stream
 * completed / failed / cancelled, run ended. They are
 * kept with the run (the last 1,000), listed by `…/logs` and streamed by `…/events`.
 */
import { and, asc, desc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import { loaderRuns, runEvents } from "../../db/schema";
import { nowIso } from "../../lib/time";
import type { ServiceContext } from "../context";
import type { RunRow, RunStreamSummary } from "./run-store";

export const EVENTS_KEPT = 1000;

export interface RunEvent {
  type: string;
  stream: string | null;
  data: Record<string, unknown>;
}

type RunStatus = RunRow["status"];

/** The events between two states of a run. */
export function eventsBetween(
  before: { status: RunStatus; streams: RunStreamSummary[] },
  after: { status: RunStatus; streams: RunStreamSummary[]; rowsLoaded: number; errorMessage: string },
): RunEvent[] {
  const events: RunEvent[] = [];
  if (before.status === "pending" && after.status !== "pending") events.push({ type: "run.started", stream: null, data: { streams: after.streams.length } });
  const previous = new Map(before.streams.map((s) => [s.name, s]));
  for (const s of after.streams) {
    const was = previous.get(s.name);
    const wasStatus = was?.status ?? "pending";
    if (wasStatus === "pending" && s.status !== "pending") events.push({ type: "stream.started", stream: s.name, data: { sync_mode: s.sync_mode } });
    const added = s.rows_loaded - (was?.rows_loaded ?? 0);
    if (added > 0) events.push({ type: "stream.rows_written", stream: s.name, data: { rows_added: added, rows_loaded: s.rows_loaded } });
    // The tracker's list only grows or updates entries in place: what the last write did not hold is what changed.
    const seen = new Set((was?.schema_changes ?? []).map((change) => JSON.stringify(change)));
    const changed = (s.schema_changes ?? []).filter((change) => !seen.has(JSON.stringify(change)));
    if (changed.length > 0) events.push({ type: "stream.schema_changed", stream: s.name, data: { changes: changed } });
    const retrying = Boolean(s.last_error) && s.status === "running";
    if (retrying && (s.last_error !== was?.last_error || s.attempts !== was?.attempts || s.retry_at !== was?.retry_at)) {
      events.push({ type: "stream.retry_scheduled", stream: s.name, data: { attempt: s.attempts ?? null, reason: s.last_error, retry_at: s.retry_at ?? null } });
    }
    if (s.status !== wasStatus && (s.status === "completed" || s.status === "failed" || s.status === "cancelled")) {
      events.push({ type: `stream.${s.status}`, stream: s.name, data: { rows_loaded: s.rows_loaded, ...(s.error_message ? { error: s.error_message } : {}) } });
    }
  }
  const ended = (status: RunStatus) => status === "completed" || status === "failed" || status === "cancelled";
  if (ended(after.status) && !ended(before.status)) {
    events.push({ type: "run.ended", stream: null, data: { status: after.status, rows_loaded: after.rowsLoaded, ...(after.errorMessage ? { error: after.errorMessage } : {}) } });
  }
  return events;
}

export async function recordRunEvents(ctx: ServiceContext, runId: string, events: RunEvent[]): Promise<void> {
  if (events.length === 0) return;
  const at = nowIso();
  await ctx.db.batch([
    ctx.db.insert(runEvents).values(events.map((e) => ({ runId, at, type: e.type, stream: e.stream, data: JSON.stringify(e.data) }))),
    // Keep the newest EVENTS_KEPT of the run.
    ctx.db.delete(runEvents).where(
      and(
        eq(runEvents.runId, runId),
        lte(runEvents.id, sql`(SELECT id FROM ${runEvents} WHERE run_id = ${runId} ORDER BY id DESC LIMIT 1 OFFSET ${EVENTS_KEPT})`),
      ),
    ),
  ]);
}

/** Events after `afterId` (exclusive), oldest first. */
export async function listRunEvents(ctx: ServiceContext, runId: string, afterId = 0, limit = EVENTS_KEPT) {
  const rows = await ctx.db
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), gt(runEvents.id, afterId)))
    .orderBy(asc(runEvents.id))
    .limit(limit);
  return rows.map((row) => ({ id: row.id, at: row.at, type: row.type, stream: row.stream, data: JSON.parse(row.data) as Record<string, unknown> }));
}

export async function latestRunEventId(ctx: ServiceContext, runId: string): Promise<number> {
  const [row] = await ctx.db.select({ id: runEvents.id }).from(runEvents).where(eq(runEvents.runId, runId)).orderBy(desc(runEvents.id)).limit(1);
  return row?.id ?? 0;
}

/** A deleted loader's runs take their events with them. */
export function deleteEventsOfLoader(ctx: ServiceContext, loaderId: string) {
  return ctx.db.delete(runEvents).where(inArray(runEvents.runId, ctx.db.select({ id: loaderRuns.id }).from(loaderRuns).where(eq(loaderRuns.loaderId, loaderId))));
}
