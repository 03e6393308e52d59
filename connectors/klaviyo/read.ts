/**
 * How a Klaviyo stream is read (research/connectors-saas.md §5), on the kit's declarative loop and phased reads:
 * - Resources: GET /api/<collection> sorted by the cursor, filtered server-side from the committed cursor
 *   (`greater-or-equal`, or `greater-than` one second lower where that is all the endpoint offers), paged through
 *   `links.next`. Metrics cannot be filtered: they are read in full and kept from the cursor on.
 * - Campaigns: one phase per channel (`equals(messages.channel,'email')`, then 'sms'), as the API requires.
 * - Events: `greater-or-equal(datetime, <cursor>)` and `less-than(datetime, <end of the window>)`, the window ending
 *   SETTLE_SECONDS before the read's start. Klaviyo accepts events dated up to a year ahead; a cursor taken from
 *   such an event would skip every event dated between now and then (users lost events that way), so nothing at or
 *   after the window's end is read, and the state never passes it: a future-dated event is read by the first run
 *   whose window has reached its date.
 * - Memberships: the groups are listed, then each group's profiles (`fields[profile]=joined_group_at`), through
 *   the kit's fan-out, from the committed `joined_group_at` up to the window's end.
 * Every state is capped at the window's end, which the checkpoint carries so all chunks of a run agree on it.
 */
import { z } from "zod";
import { cursorValue } from "../kit/checkpoint";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { type HttpStream, readHttpStream, stateCursor } from "../kit/declarative";
import { readFanOut } from "../kit/fan-out";
import type { HttpClient } from "../kit/http";
import { createPaginator } from "../kit/paginators";
import { httpPhase, phasedCheckpoints, readPhased } from "../kit/phased";
import { compareCursors, type CursorValue, cursorValue as valueOf, flattenRecord, maxCursorOf, subtractSeconds } from "../kit/records";
import type { KlaviyoStream } from "./streams";
import type { KlaviyoConfig } from "./spec";

const nextLink = createPaginator({ type: "next_url", next_url_path: "links.next" });

const carry = z.object({ cursor: z.union([cursorValue, z.null()]), upper: z.string() });
type Carry = z.infer<typeof carry> & JsonObject;
const checkpoints = phasedCheckpoints<Carry>({ reader: "Klaviyo", positionKey: "next", carry: carry as unknown as z.ZodType<Carry> });

/** Klaviyo filter datetimes: unquoted ISO 8601 in UTC (`2024-01-01T00:00:00Z`). */
export function filterTime(value: string): string {
  return new Date(Date.parse(value)).toISOString().replace(".000Z", "Z");
}

/**
 * Klaviyo ingests events (and the profile updates they cause) asynchronously: the create endpoints answer 202 and
 * the data becomes listable later. A run's window ends this long before its start, so something dated in the last
 * minutes but not yet listable is read by the next run instead of falling below a committed cursor.
 */
export const SETTLE_SECONDS = 300;

/** The run's upper bound: its start, to the second, less the settling time; every chunk of the run shares it. */
function windowEnd(ctx: ConnectorContext): string {
  return filterTime(new Date((Math.floor(ctx.now().getTime() / 1000) - SETTLE_SECONDS) * 1000).toISOString());
}

function lowerBound(config: KlaviyoConfig, request: ReadRequest): CursorValue | null {
  const committed = request.sync_mode === "incremental" ? stateCursor(request.state) : null;
  return committed ?? (config.start_date ? `${config.start_date}T00:00:00Z` : null);
}

function cursorFilter(stream: KlaviyoStream, field: string, lower: CursorValue | null): string[] {
  if (lower === null || stream.filter === "client") return [];
  const bound = String(lower);
  return stream.filter === "gt" ? [`greater-than(${field},${filterTime(subtractSeconds(bound, 1))})`] : [`greater-or-equal(${field},${filterTime(bound)})`];
}

function joined(parts: string[]): string | undefined {
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : `and(${parts.join(",")})`;
}

/** A resource as a row: attributes lifted to the top level, included relationships as id columns. */
export function toRecord(resource: SourceRecord, stream: KlaviyoStream): SourceRecord {
  const { relationships, links: _links, ...rest } = resource as { relationships?: Record<string, { data?: unknown }>; links?: unknown } & SourceRecord;
  const record = flattenRecord(rest, { unnest: ["attributes"] });
  for (const [name, column] of Object.entries(stream.include ?? {})) {
    const data = relationships?.[name]?.data;
    record[column] = Array.isArray(data) ? data.map((d: { id: string }) => d.id) : data && typeof data === "object" ? (data as { id: string }).id : null;
  }
  return record;
}

function listRequest(stream: KlaviyoStream, path: string, filter: string | undefined, sortField: string | null) {
  return {
    url: path,
    query: {
      ...(stream.pageSize ? { "page[size]": stream.pageSize } : {}),
      ...(stream.sorted && sortField ? { sort: sortField } : {}),
      ...(filter ? { filter } : {}),
      ...(stream.include ? { include: Object.keys(stream.include).join(",") } : {}),
      ...(stream.fields ? { [`fields[${stream.type}]`]: stream.fields.join(",") } : {}),
      ...(stream.additional ? { [`additional-fields[${stream.type}]`]: stream.additional.join(",") } : {}),
    },
  };
}

function atMost(cursor: CursorValue | null, upper: string): CursorValue | null {
  return cursor !== null && compareCursors(cursor, upper) > 0 ? upper : cursor;
}

export async function* readKlaviyoStream(
  ctx: ConnectorContext,
  http: HttpClient,
  config: KlaviyoConfig,
  request: ReadRequest,
  stream: KlaviyoStream,
): AsyncGenerator<Page> {
  const withHttp = { ...ctx, http };
  const lower = lowerBound(config, request);
  if (stream.group) yield* readMemberships(withHttp, request, stream, stream.group, lower);
  else yield* readResources(withHttp, request, stream, lower);
}

/** The groups (lists or segments) once, then each group's profiles from the cursor to the window's end. */
async function* readMemberships(
  ctx: ConnectorContext,
  request: ReadRequest,
  stream: KlaviyoStream,
  group: NonNullable<KlaviyoStream["group"]>,
  lower: CursorValue | null,
): AsyncGenerator<Page> {
  const parents = async (c: ConnectorContext) => {
    const ids: string[] = [];
    const listing: HttpStream = { request: { url: group.path, query: { [`fields[${group.path.slice(1, -1)}]`]: "name" } }, paginator: nextLink, recordsPath: "data" };
    for await (const page of readHttpStream(c, listing, { state: null, checkpoint: null })) ids.push(...page.records.map((r) => String(r.id)));
    return ids;
  };
  const upper = typeof request.checkpoint?.upper === "string" ? request.checkpoint.upper : windowEnd(ctx);
  const window = [...cursorFilter(stream, "joined_group_at", lower), `less-than(joined_group_at,${upper})`];
  yield* readFanOut(
    ctx,
    {
      reader: "Klaviyo",
      parents,
      child: (groupId) => ({
        request: listRequest(stream, `${group.path}/${groupId}/profiles`, joined(window), "joined_group_at"),
        paginator: nextLink,
        recordsPath: "data",
        mapRecord: (r) => ({ profile_id: r.id, joined_group_at: (r.attributes as { joined_group_at?: unknown } | undefined)?.joined_group_at ?? null }),
      }),
      parentKey: group.key,
      cursorField: "joined_group_at",
      committed: lower,
      upper,
    },
    request.checkpoint,
  );
}

/** A collection, one phase per channel where it has channels, sorted and filtered by the cursor. */
async function* readResources(ctx: ConnectorContext, request: ReadRequest, stream: KlaviyoStream, lower: CursorValue | null): AsyncGenerator<Page> {
  const field = request.stream.cursor_field;
  const resumed = checkpoints.resume(request.checkpoint);
  const upper = resumed?.carry.upper ?? windowEnd(ctx);
  const isEvents = stream.type === "event";
  const channels = stream.channels ?? [null];
  const phases = channels.map((channel) => {
    const filters = [
      ...(channel ? [`equals(messages.channel,'${channel}')`] : []),
      ...(field ? cursorFilter(stream, field, lower) : []),
      ...(isEvents ? [`less-than(datetime,${upper})`] : []),
    ];
    const http: HttpStream = {
      request: listRequest(stream, stream.path, joined(filters), field),
      paginator: nextLink,
      recordsPath: "data",
      mapRecord: (r) => ({ ...toRecord(r, stream), ...(channel ? { channel } : {}) }),
    };
    return httpPhase<Carry>(channel ?? "all", http, (records, current) => {
      const kept =
        stream.filter === "client" && field && lower !== null
          ? records.filter((r) => {
              const value = valueOf(r, field);
              return value !== undefined && compareCursors(value, lower) >= 0;
            })
          : records;
      const cursor = field ? atMost(maxCursorOf(kept, field, current.cursor), upper) : null;
      return { records: kept, carry: { ...current, cursor }, ...(field ? { state: { cursor } } : {}) };
    });
  });
  const start = resumed ?? { phase: phases[0]!.name, position: null, carry: { cursor: request.sync_mode === "incremental" ? stateCursor(request.state) : null, upper } };
  yield* readPhased(ctx, checkpoints, phases, start);
}
