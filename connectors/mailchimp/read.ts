/**
 * How a Mailchimp stream is read (research/connectors-saas.md §6), on the kit's declarative loop and fan-out:
 * - Every list pages with `count=1000` and `offset` until `total_items`, without `_links` (exclude_fields).
 * - Incremental filters go to the server as `since_<field>` (strictly after, so the committed cursor minus one
 *   second is sent and its second is read again), sorted ascending by the cursor where the endpoint sorts.
 * - Children (members, segments, tags and interest categories of each audience; email activity and unsubscribes of
 *   each sent campaign) are read per parent through the kit's fan-out. Member and segment windows end at the read's
 *   start (`before_<field>`); their pages overlap by 50 rows, because a member that changes mid-read leaves the
 *   window and shifts every later offset back by one.
 * - Email activity arrives per recipient with an `activity` list; each action becomes its own row.
 * - Campaigns, automations and audiences filter only on their creation time (reports on the send time): an
 *   incremental run sees new ones, not edits; a full_refresh run sees both.
 */
import type { ConnectorContext, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { type HttpStream, readHttpStream, stateCursor } from "../kit/declarative";
import { readFanOut } from "../kit/fan-out";
import type { HttpClient, Query } from "../kit/http";
import { overlappingOffset } from "../kit/paginators";
import { compareCursors, type CursorValue, cursorValue, subtractSeconds } from "../kit/records";
import type { MailchimpConfig } from "./spec";
import type { MailchimpStream } from "./streams";

/** research §6: `count` up to 1000. */
export const PAGE_SIZE = 1000;

const pages = (overlap = 0) => overlappingOffset({ offsetParam: "offset", limitParam: "count", limit: PAGE_SIZE, totalPath: "total_items", overlap });

/** Mailchimp datetimes: ISO 8601 with an explicit offset, `2024-01-01T00:00:00+00:00`. */
export function mailchimpTime(value: string): string {
  return new Date(Date.parse(value)).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

function readStart(ctx: ConnectorContext): string {
  return mailchimpTime(new Date(Math.floor(ctx.now().getTime() / 1000) * 1000).toISOString());
}

function windowQuery(stream: MailchimpStream, lower: CursorValue | null, upper: string | null): Query {
  if (!stream.window) return {};
  return {
    ...(lower !== null ? { [stream.window.since]: mailchimpTime(subtractSeconds(String(lower), 1)) } : {}),
    ...(upper !== null && stream.window.before ? { [stream.window.before]: upper } : {}),
  };
}

function listQuery(stream: MailchimpStream, window: Query): Query {
  return {
    exclude_fields: `${stream.key}._links`,
    ...window,
    ...(stream.sort ? { sort_field: stream.sort, sort_dir: "ASC" } : {}),
  };
}

/** One row per action of a recipient's activity list. */
function activityRows(recipient: SourceRecord): SourceRecord[] {
  const { activity, ...who } = recipient as SourceRecord & { activity?: Array<Record<string, unknown>> };
  const base = { campaign_id: who.campaign_id, list_id: who.list_id, email_id: who.email_id, email_address: who.email_address };
  return (activity ?? []).map((a) => ({ ...base, action: a.action, type: a.type ?? null, timestamp: a.timestamp, url: a.url ?? null, ip: a.ip ?? null }));
}

export async function* readMailchimpStream(
  ctx: ConnectorContext,
  http: HttpClient,
  config: MailchimpConfig,
  request: ReadRequest,
  stream: MailchimpStream,
): AsyncGenerator<Page> {
  const field = request.stream.cursor_field;
  const committed = request.sync_mode === "incremental" ? stateCursor(request.state) : null;
  const lower = field ? (committed ?? (config.start_date ? `${config.start_date}T00:00:00+00:00` : null)) : null;
  const withHttp = { ...ctx, http };
  const keep =
    field && lower !== null && (stream.clientSide || stream.key === "emails")
      ? (record: SourceRecord) => {
          const value = cursorValue(record, field);
          return value !== undefined && compareCursors(value, lower) >= 0;
        }
      : undefined;

  if (!stream.parent) {
    const http: HttpStream = { request: { url: stream.path, query: listQuery(stream, windowQuery(stream, lower, null)) }, paginator: pages(stream.overlap), recordsPath: stream.key, cursorField: field };
    yield* readHttpStream(withHttp, http, { state: committed === null ? null : { cursor: committed }, checkpoint: request.checkpoint });
    return;
  }

  const parent = stream.parent;
  const upper = typeof request.checkpoint?.upper === "string" ? request.checkpoint.upper : readStart(ctx);
  const window = windowQuery(stream, lower, upper);
  yield* readFanOut(
    withHttp,
    {
      reader: "Mailchimp",
      parents: async (c) => {
        const ids: string[] = [];
        const listing: HttpStream = { request: { url: parent.path, query: { fields: `${parent.key}.id,total_items` } }, paginator: pages(), recordsPath: parent.key };
        for await (const page of readHttpStream(c, listing, { state: null, checkpoint: null })) ids.push(...page.records.map((r) => String(r.id)));
        return ids;
      },
      child: (id) => ({
        request: { url: stream.path.replace("{id}", encodeURIComponent(id)), query: listQuery(stream, window) },
        paginator: pages(stream.overlap),
        recordsPath: stream.key,
      }),
      parentKey: parent.parentKey,
      cursorField: field,
      committed: lower,
      upper,
      ...(stream.key === "emails" ? { expand: activityRows } : {}),
      ...(keep ? { keep } : {}),
    },
    request.checkpoint,
  );
}
