/**
 * How a Stripe stream is read (research/connectors-saas.md §3). Lists are newest first and filtered on the immutable
 * `created`, which cannot see updates, so a mutable object is read in one of two phases:
 * - list: the object endpoint in full (first run, full_refresh, or a cursor older than the events' 30-day
 *   retention). Its records are stamped `updated` = when the read started, and that stamp becomes the state.
 * - events: `/v1/events?types[]=…&created[gte]=<committed cursor>`, each event unwrapped to its `data.object` with
 *   `updated` = the event's `created`; `<object>.deleted` events arrive with `_loader_deleted_at` where the catalog
 *   says the stream reports deletes.
 * Immutable streams (balance_transactions, events) are listed with `created[gte]` = the committed `created`.
 * Every phase pages with `starting_after=<last id>` through the kit's declarative loop.
 */
import { z } from "zod";
import type { ConnectorContext, JsonObject, JsonValue, Page, ReadRequest, SourceRecord, StreamSpec } from "../kit/contract";
import { type HttpStream, readHttpStream, stateCursor } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { afterLastRecord } from "../kit/paginators";
import { DELETED_AT_FIELD } from "../kit/records";
import { type Phase, type PhasedPosition, phasedCheckpoints, readPhased } from "../kit/phased";
import type { StripeConfig } from "./spec";
import type { StripeStream } from "./streams";

const DAY_SECONDS = 86_400;
/** "Events are only guaranteed to be available for 30 days" — https://docs.stripe.com/api/events/list */
const EVENT_RETENTION_SECONDS = 30 * DAY_SECONDS;
/** A cursor this close to the retention edge could age out while the read pages through it: read in full instead. */
const RETENTION_MARGIN_SECONDS = 3600;
/**
 * Taken off the loader's clock when it stamps a read: covers skew between Stripe's clock and the Worker's, and
 * events that become listable a little after their `created`. Re-reading a few minutes of events is harmless
 * (the warehouse merges by id).
 */
const CLOCK_MARGIN_SECONDS = 300;
/** Ids remembered for the second at a page boundary (see `newestVersions`); bounded because checkpoints are small. */
const MAX_TIE_IDS = 250;

/** "limit: … between 1 and 100" — https://docs.stripe.com/api/pagination */
const paginator = afterLastRecord({ param: "starting_after", keyField: "id", hasMorePath: "has_more", limitParam: "limit", limit: 100 });

type PhaseName = "list" | "events";

interface Plan {
  phase: PhaseName;
  /** `created[gte]` sent on every request of this read; null sends none. */
  since: number | null;
  /** Mutable streams: the read's start (less the clock margin): `updated` of listed records and the state's floor. */
  stamp: number | null;
}

/** The objects already taken at second `at`, newest first; an older event of one of them in that second is stale. */
const tieSchema = z.object({ at: z.number(), ids: z.array(z.string()) });
type Tie = z.output<typeof tieSchema>;

/**
 * Checkpoint: `{phase, since, stamp, page, tie}` — the phase and the plan fixed when the read started, the kit loop's
 * own checkpoint (null before the first page; `done: true` after the last, so a resumed final chunk reads nothing),
 * and the objects of the second at the page boundary.
 */
const carried = z.object({ since: z.number().nullable(), stamp: z.number().nullable(), tie: tieSchema.nullable() });
type Carried = z.output<typeof carried>;

const stripeCheckpoints = phasedCheckpoints<Carried>({
  reader: "Stripe",
  positionKey: "page",
  carry: carried,
  position: z.looseObject({}).nullable() as unknown as z.ZodType<JsonValue>,
});

export async function* readStripeStream(
  ctx: ConnectorContext,
  http: HttpClient,
  config: StripeConfig,
  request: ReadRequest,
  stream: StripeStream,
): AsyncGenerator<Page> {
  const at = stripeCheckpoints.resume(request.checkpoint) ?? start(startPlan(stream, config, request, ctx.now()));
  const plan: Plan = { phase: at.phase === "events" ? "events" : "list", since: at.carry.since, stamp: at.carry.stamp };
  const phase = plan.phase === "events" ? eventsPhase(stream, plan, request, startSeconds(config)) : listPhase(stream, plan, request);
  // One phase per read, chosen when it starts: a list or the events since the cursor, never both.
  yield* readPhased({ ...ctx, http }, stripeCheckpoints, [phase], at);
}

function start(plan: Plan): PhasedPosition<Carried> {
  return { phase: plan.phase, position: null, carry: { since: plan.since, stamp: plan.stamp, tie: null } };
}

/**
 * One phase over the kit's loop, whose position is the loop's own checkpoint: what to request, the state the loop
 * starts from, and how a page becomes records (with the tie carried to the next page).
 */
function loopPhase(
  name: PhaseName,
  httpStream: HttpStream,
  state: JsonObject | null,
  shape: (page: Page, tie: Tie | null) => { records: SourceRecord[]; state: JsonObject | undefined; tie: Tie | null },
): Phase<Carried> {
  return {
    name,
    async *pages(ctx, position, carry) {
      let tie = carry.tie;
      for await (const page of readHttpStream(ctx, httpStream, { state, checkpoint: position as JsonObject | null })) {
        const shaped = shape(page, tie);
        tie = shaped.tie;
        yield { records: shaped.records, position: page.checkpoint, carry: { ...carry, tie }, ...(shaped.state ? { state: shaped.state } : {}) };
      }
    },
  };
}

function listPhase(stream: StripeStream, plan: Plan, request: ReadRequest): Phase<Carried> {
  const mutable = stream.events !== undefined;
  const stamp = plan.stamp ?? 0;
  return loopPhase(
    "list",
    {
      request: { url: stream.path, query: { ...stream.params, "created[gte]": plan.since } },
      paginator,
      recordsPath: "data",
      // Mutable objects take their state from the stamp; immutable ones from the greatest `created` read.
      cursorField: mutable ? null : "created",
    },
    mutable ? null : request.state,
    (page) =>
      mutable
        ? { records: page.records.map((record) => listedVersion(record, stamp)), state: { cursor: stamp }, tie: null }
        : { records: page.records, state: page.state, tie: null },
  );
}

function eventsPhase(stream: StripeStream, plan: Plan, request: ReadRequest, startDate: number | null): Phase<Carried> {
  return loopPhase(
    "events",
    {
      request: { url: "/events", query: { "types[]": stream.events ?? [], "created[gte]": plan.since } },
      paginator,
      recordsPath: "data",
      cursorField: "created",
    },
    // The loop's cursor starts from the committed one, so a run without events keeps (at least) it.
    request.state,
    (page, tie) => {
      const taken = newestVersions(page.records, tie);
      const records: SourceRecord[] = [];
      for (const event of taken.events) {
        const record = changedRecord(event, stream, request.stream, startDate);
        if (record) records.push(record);
      }
      // Never behind the read's stamp, so a quiet object's cursor does not age out of the event retention.
      const cursor = Math.max(numberOr(stateCursor(page.state ?? null), 0), plan.stamp ?? 0);
      return { records, state: { cursor }, tie: taken.tie };
    },
  );
}

function startPlan(stream: StripeStream, config: StripeConfig, request: ReadRequest, now: Date): Plan {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const start = startSeconds(config);
  const committed = request.sync_mode === "incremental" ? numberOr(stateCursor(request.state), null) : null;
  const lookback = (config.lookback_window_days ?? 0) * DAY_SECONDS;
  if (!stream.events) {
    const resumeAt = committed === null ? null : committed - lookback;
    return { phase: "list", since: start === null ? resumeAt : Math.max(start, resumeAt ?? start), stamp: null };
  }
  const stamp = nowSeconds - CLOCK_MARGIN_SECONDS;
  const oldestListable = nowSeconds - EVENT_RETENTION_SECONDS + RETENTION_MARGIN_SECONDS;
  // No state, or the events since it are (partly) gone: only a full read is complete. Deletions during the gap
  // cannot be seen by it; a full_refresh run drops such rows.
  if (committed === null || committed < oldestListable) return { phase: "list", since: start, stamp };
  return { phase: "events", since: Math.max(committed - lookback, oldestListable), stamp };
}

/**
 * A listed record's version time. Products carry their own `updated`, which is exact; other objects have none, and
 * the read's start is a time at which the listed version was current — so a version read later from an event
 * (always later, or equal) replaces it, and an event older than the list does not.
 */
function listedVersion(record: SourceRecord, stamp: number): SourceRecord {
  return { ...record, updated: typeof record.updated === "number" ? record.updated : stamp };
}

/**
 * Keeps, per object, only the newest of its events within one second. Lists are newest first (ties broken by id,
 * newest first too), but the warehouse settles equal cursors in favour of the record written last, which would be
 * the older event: a PaymentIntent's `created` and `succeeded` events often share their second. The objects seen
 * in the current second travel in the checkpoint, so the rule holds across page and chunk boundaries.
 */
function newestVersions(events: SourceRecord[], start: Tie | null): { events: SourceRecord[]; tie: Tie | null } {
  // A copy: the previous page's checkpoint holds `start`, and the engine may still be reporting it.
  let tie = start ? { at: start.at, ids: [...start.ids] } : null;
  const kept: SourceRecord[] = [];
  for (const event of events) {
    const created = eventCreated(event);
    const id = objectOf(event).id;
    if (!tie || tie.at !== created) tie = { at: created, ids: [] };
    if (typeof id === "string") {
      if (tie.ids.includes(id)) continue;
      if (tie.ids.length < MAX_TIE_IDS) tie.ids.push(id);
    }
    kept.push(event);
  }
  return { events: kept, tie };
}

function changedRecord(event: SourceRecord, stream: StripeStream, spec: StreamSpec, startDate: number | null): SourceRecord | null {
  const object = objectOf(event);
  // Defensive: a type list mistake must not put another object's rows into this table.
  if (object.object !== stream.object) return null;
  if (startDate !== null && typeof object.created === "number" && object.created < startDate) return null;
  const created = eventCreated(event);
  const record: SourceRecord = { ...object, updated: created };
  if (spec.reports_deletes && typeof event.type === "string" && event.type.endsWith(".deleted")) {
    record[DELETED_AT_FIELD] = isoSeconds(created);
  }
  return record;
}

function objectOf(event: SourceRecord): Record<string, unknown> {
  const data = event.data as { object?: unknown } | null | undefined;
  const object = data?.object;
  if (!object || typeof object !== "object" || Array.isArray(object)) {
    throw new ConnectorError("data", `event ${String(event.id)} (${String(event.type)}) has no data.object`);
  }
  return object as Record<string, unknown>;
}

function eventCreated(event: SourceRecord): number {
  if (typeof event.created !== "number") throw new ConnectorError("data", `event ${String(event.id)} has no numeric created`);
  return event.created;
}

function startSeconds(config: StripeConfig): number | null {
  return config.start_date ? Date.parse(`${config.start_date}T00:00:00Z`) / 1000 : null;
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function numberOr<T>(value: string | number | null, fallback: T): number | T {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : fallback;
}
