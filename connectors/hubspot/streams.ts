/**
 * What each catalog stream reads, as phases of the kit's declarative loop (research/connectors-saas.md §2).
 *
 * CRM objects:
 * - full_refresh, and the first incremental run without start_date: GET /crm/v3/objects/{type}, 100 a page,
 *   `after` from paging.next, every property named in the query.
 * - incremental with a lower bound (the committed cursor, else start_date): POST /crm/v3/objects/{type}/search for
 *   records whose modification property lies in [lower, upper], sorted by hs_object_id and paged by keyset (each
 *   request asks for ids above the last one delivered) rather than by the `after` offset. Search refuses to page
 *   past 10,000 results (HTTP 400); a keyset query never pages, so it never meets that limit, however many records
 *   share one modification instant, and records changed or archived mid-run cannot shift an offset and be skipped.
 *   The upper bound keeps what changes during the run (and what the search index has not caught up with) for the
 *   next run.
 * - incremental with a committed cursor, afterwards: GET …?archived=true (search never returns archived records),
 *   kept when archivedAt >= the committed cursor, as soft deletes (`_loader_deleted_at` = archivedAt).
 * - More properties than fit in a URL: the list is replaced by a search without date filter (properties travel in
 *   the POST body), and archived records are listed with the type's default properties.
 *
 * Owners: GET /crm/v3/owners/, which has no modified filter, so incremental reads keep updatedAt >= the committed
 * cursor client-side, then list archived (deactivated) owners the same way as soft deletes. Pipelines: one GET.
 * start_date applies to CRM objects only: owners and pipelines are reference tables the objects point into.
 *
 * A record archived after the newest change the previous run saw arrives as a soft-deleted row even if no run
 * loaded it live (it was archived before the first run): the archived list cannot tell, and the row is marked.
 */
import type { ConnectorContext, ReadRequest, SourceRecord } from "../kit/contract";
import { stateCursor, type HttpStream } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import type { HttpClient, HttpRequest } from "../kit/http";
import { createPaginator, type Paginator } from "../kit/paginators";
import { type CursorValue, compareCursors, cursorValue, DELETED_AT_FIELD, getPath } from "../kit/records";
import { crmPath } from "./client";
import { type CrmObject, crmObject, objectProperties, type PropertySet, shapeRecord } from "./objects";
import type { Phase } from "./phases";
import type { HubspotConfig } from "./spec";

/** List endpoints return at most 100 objects a page; owners up to 500. */
const LIST_LIMIT = 100;
const OWNERS_LIMIT = 500;
/** The search maximum per page since 2024 (research §2 "Envelope & pagination"). */
export const SEARCH_LIMIT = 200;
/**
 * The longest `properties` value put in a list URL. Airbyte splits property lists at about 15,000 characters of
 * URL (research §2 "Schema discovery"); this leaves room for the path and the other parameters.
 */
export const PROPERTIES_QUERY_BUDGET = 12_000;

const PIPELINES: Record<string, string> = { deal_pipelines: "deals", ticket_pipelines: "tickets" };

export interface PlanOptions {
  propertiesQueryBudget: number;
}

export interface Plan {
  phases: Phase[];
  committed: CursorValue | null;
}

export async function planRead(
  ctx: ConnectorContext,
  http: HttpClient,
  config: HubspotConfig,
  request: ReadRequest,
  upper: string,
  options: PlanOptions,
): Promise<Plan> {
  const name = request.stream.name;
  const committed = request.sync_mode === "incremental" ? stateCursor(request.state) : null;
  const object = crmObject(name);
  if (object) {
    const properties = await objectProperties(http, object.objectType);
    const read: CrmRead = { ctx, object, properties, startDate: config.start_date ?? null, committed, upper, options };
    return { phases: request.sync_mode === "full_refresh" ? fullRefreshPhases(read) : incrementalPhases(read), committed };
  }
  if (name === "owners") return { phases: ownerPhases(ctx, committed), committed };
  const pipelineType = PIPELINES[name];
  if (pipelineType) return { phases: [{ name: "pipelines", stream: pipelinesStream(pipelineType) }], committed: null };
  throw new ConnectorError("configuration", `stream "${name}" is not a HubSpot stream this loader can read`);
}

interface CrmRead {
  ctx: ConnectorContext;
  object: CrmObject;
  properties: PropertySet;
  startDate: string | null;
  committed: CursorValue | null;
  upper: string;
  options: PlanOptions;
}

/** Every live record: listed, or searched without date filter when the property names do not fit in a URL. */
function everything({ object, properties, options }: CrmRead): Phase {
  const shape = shapeRecord(properties);
  return fitsInUrl(properties, options)
    ? { name: "list", stream: listStream(object, properties.names, false, shape) }
    : { name: "search", stream: searchStream(object, properties.names, null, null, shape) };
}

function fullRefreshPhases(read: CrmRead): Phase[] {
  const all = everything(read);
  return [read.startDate ? { ...all, keep: changedSince("updatedAt", startOf(read.startDate)) } : all];
}

function incrementalPhases(read: CrmRead): Phase[] {
  const { ctx, object, properties, startDate, committed, upper, options } = read;
  const shape = shapeRecord(properties);
  if (committed === null) {
    return [startDate ? { name: "search", stream: searchStream(object, properties.names, startOf(startDate), upper, shape) } : everything(read)];
  }
  const tombstone = (record: SourceRecord) => deleted(shape(record), "archivedAt", ctx);
  const archivedProperties = fitsInUrl(properties, options) ? properties.names : null;
  return [
    { name: "search", stream: searchStream(object, properties.names, String(committed), upper, shape) },
    { name: "archived", stream: listStream(object, archivedProperties, true, tombstone), keep: changedSince("archivedAt", committed) },
  ];
}

function fitsInUrl(properties: PropertySet, options: PlanOptions): boolean {
  return encodeURIComponent(properties.names.join(",")).length <= options.propertiesQueryBudget;
}

const startOf = (date: string) => `${date}T00:00:00.000Z`;

function ownerPhases(ctx: ConnectorContext, committed: CursorValue | null): Phase[] {
  if (committed === null) return [{ name: "owners", stream: ownersStream(false) }];
  const keep = changedSince("updatedAt", committed);
  // Deactivated owners carry no archivedAt; their updatedAt is when they were archived.
  const tombstone = (record: SourceRecord) => deleted(record, "updatedAt", ctx);
  return [
    { name: "owners", stream: ownersStream(false), keep },
    { name: "archived", stream: { ...ownersStream(true), mapRecord: tombstone }, keep },
  ];
}

function listStream(object: CrmObject, properties: string[] | null, archived: boolean, mapRecord: HttpStream["mapRecord"]): HttpStream {
  return {
    request: {
      url: crmPath(`objects/${object.objectType}`),
      query: { archived, ...(properties ? { properties: properties.join(",") } : {}) },
    },
    paginator: listPaginator(LIST_LIMIT),
    recordsPath: "results",
    ...(mapRecord ? { mapRecord } : {}),
  };
}

function ownersStream(archived: boolean): HttpStream {
  return { request: { url: crmPath("owners/"), query: { archived } }, paginator: listPaginator(OWNERS_LIMIT), recordsPath: "results" };
}

function pipelinesStream(objectType: string): HttpStream {
  return { request: { url: crmPath(`pipelines/${objectType}`) }, paginator: createPaginator({ type: "none" }), recordsPath: "results" };
}

/** List paging: `paging.next.after` sent back as `after`; the envelope has no `paging` on the last page. */
function listPaginator(limit: number): Paginator {
  return createPaginator({ type: "cursor", cursor_param: "after", cursor_path: "paging.next.after", limit_param: "limit", limit });
}

function searchStream(object: CrmObject, properties: string[], lower: string | null, upper: string | null, mapRecord: HttpStream["mapRecord"]): HttpStream {
  const paginator = searchPaginator(object, properties, lower, upper);
  const request: HttpRequest = { method: "POST", url: crmPath(`objects/${object.objectType}/search`) };
  return { request, paginator: paginator as Paginator, recordsPath: "results", ...(mapRecord ? { mapRecord } : {}) };
}

/**
 * Keyset paging in the POST body: each request asks for hs_object_id above the last id delivered, sorted by it,
 * with the modification window as the other filters. `paging.next` only says whether more follow.
 */
function searchPaginator(object: CrmObject, properties: string[], lower: string | null, upper: string | null): Paginator<{ after: string }> {
  const window = [
    ...(lower === null ? [] : [{ propertyName: object.modifiedProperty, operator: "GTE", value: epochMillis(lower) }]),
    ...(upper === null ? [] : [{ propertyName: object.modifiedProperty, operator: "LTE", value: epochMillis(upper) }]),
  ];
  return {
    request: (state) => {
      const filters = [...window, ...(state ? [{ propertyName: "hs_object_id", operator: "GT", value: state.after }] : [])];
      return {
        json: {
          ...(filters.length > 0 ? { filterGroups: [{ filters }] } : {}),
          sorts: [{ propertyName: "hs_object_id", direction: "ASCENDING" }],
          properties,
          limit: SEARCH_LIMIT,
        },
      };
    },
    next: (state, page) => {
      if (!getPath(page.body, "paging.next") || page.records.length === 0) return null;
      const last = getPath(page.records[page.records.length - 1], "id");
      if ((typeof last !== "string" && typeof last !== "number") || !/^\d+$/.test(String(last))) {
        throw new ConnectorError("data", "a HubSpot search page announced more results, but its last record has no numeric id to continue after");
      }
      if (state && BigInt(last) <= BigInt(state.after)) {
        // Sorted ascending by id and filtered above the last one: a repeat means the query is not what was sent.
        throw new ConnectorError("data", `HubSpot search did not advance past hs_object_id ${state.after}`);
      }
      return { after: String(last) };
    },
  };
}

/** Search takes datetime filter values as epoch milliseconds (research §2 "Streams"). */
function epochMillis(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) throw new ConnectorError("data", `cursor "${iso}" is not an ISO timestamp, so HubSpot search cannot filter on it`);
  return String(at);
}

function changedSince(field: string, bound: CursorValue): (record: SourceRecord) => boolean {
  return (record) => {
    const value = cursorValue(record, field);
    return value !== undefined && compareCursors(value, bound) >= 0;
  };
}

function deleted(record: SourceRecord, field: string, ctx: ConnectorContext): SourceRecord {
  const at = cursorValue(record, field);
  return { ...record, [DELETED_AT_FIELD]: typeof at === "string" ? at : ctx.now().toISOString() };
}
