/**
 * Paginators (DESIGN §5). A paginator is pure: its state is plain JSON, so the state for the next request can sit in
 * a checkpoint (and a queue message) and a resumed read continues exactly where the previous chunk stopped.
 * `request(state)` says how to ask for the page at `state` (null: the first page); `next(state, page)` says where
 * the following page is, or null when this was the last one.
 */
import type { JsonValue } from "./contract";
import { ConnectorError } from "./errors";
import type { HttpRequest, Query } from "./http";
import { withoutQueryParams } from "./http-errors";
import { findLink } from "./link-header";
import { getPath } from "./records";

/** The paginator styles of DESIGN §5, spelled as the rest_api config spells them. */
export type PaginatorSpec =
  | { type: "none" }
  | { type: "page_number"; page_param: string; size_param?: string; page_size?: number; start_page?: number; total_pages_path?: string }
  | { type: "offset"; offset_param: string; limit_param: string; limit: number; total_path?: string }
  | { type: "cursor"; cursor_param: string; cursor_path: string; limit_param?: string; limit?: number }
  | { type: "next_url"; next_url_path: string }
  | { type: "link_header" };

/** How one page request differs from the stream's base request. */
export interface RequestPatch {
  /** Replaces the whole URL, base query included: APIs put everything the next page needs into its link. */
  url?: string;
  /** Added to (and overriding) the base request's query. */
  query?: Query;
  /** Replaces the JSON body: APIs that page in a POST body (HubSpot search) carry the position there. */
  json?: unknown;
  /**
   * Sets values at dot paths of (a copy of) the base request's JSON body, keeping the rest of it: paging state in
   * a body the stream defines (GA4 `offset`, GraphQL `variables.after`, Google Ads `pageToken`). A null value
   * removes the path (the first page sends no cursor).
   */
  jsonSet?: Record<string, JsonValue>;
}

export interface PageResponse {
  body: unknown;
  headers: Headers;
  /** The URL that was requested, to resolve relative next links against. */
  url: string;
  records: readonly unknown[];
}

export interface Paginator<S extends JsonValue = JsonValue> {
  request(state: S | null): RequestPatch;
  next(state: S | null, page: PageResponse): S | null;
}

export function applyPatch(base: HttpRequest, patch: RequestPatch): HttpRequest {
  let body = patch.json === undefined ? base : { ...base, json: patch.json };
  if (patch.jsonSet !== undefined) body = { ...body, json: withPaths(body.json, patch.jsonSet) };
  if (patch.url !== undefined) {
    const { query: _dropped, ...rest } = body;
    return { ...rest, url: patch.url };
  }
  return { ...body, query: { ...base.query, ...patch.query } };
}

export interface PaginatorOptions {
  /**
   * Query parameters dropped from a next-page link before it is kept in the paginator state (and so in checkpoints):
   * the auth provider's own query credential, which it adds to every request again (an API may echo it into links).
   */
  dropLinkParams?: readonly string[];
}

export function createPaginator(spec: PaginatorSpec, options: PaginatorOptions = {}): Paginator {
  const drop = options.dropLinkParams ?? [];
  switch (spec.type) {
    case "none":
      return singlePage;
    case "page_number":
      return pageNumber(spec) as Paginator;
    case "offset":
      return offset(spec) as Paginator;
    case "cursor":
      return cursor(spec) as Paginator;
    case "next_url":
      return nextLink((page) => getPath(page.body, spec.next_url_path), `next_url_path "${spec.next_url_path}"`, drop) as Paginator;
    case "link_header":
      return nextLink((page) => findLink(page.headers.get("link"), "next"), 'the Link header rel="next"', drop) as Paginator;
  }
}

const singlePage: Paginator = { request: () => ({}), next: () => null };

function pageNumber(spec: Extract<PaginatorSpec, { type: "page_number" }>): Paginator<{ page: number }> {
  const start = spec.start_page ?? 1;
  return {
    request: (state) => ({
      query: { [spec.page_param]: state?.page ?? start, ...(spec.size_param ? { [spec.size_param]: spec.page_size } : {}) },
    }),
    next: (state, page) => {
      const current = state?.page ?? start;
      if (page.records.length === 0) return null;
      const total = spec.total_pages_path ? numberAt(page.body, spec.total_pages_path) : undefined;
      if (total !== undefined) return current - start + 1 >= total ? null : { page: current + 1 };
      if (spec.page_size !== undefined && page.records.length < spec.page_size) return null;
      return { page: current + 1 };
    },
  };
}

function offset(spec: Extract<PaginatorSpec, { type: "offset" }>): Paginator<{ offset: number }> {
  return {
    request: (state) => ({ query: { [spec.offset_param]: state?.offset ?? 0, [spec.limit_param]: spec.limit } }),
    next: (state, page) => nextOffset(state, page, spec.limit, spec.total_path),
  };
}

function nextOffset(state: { offset: number } | null, page: PageResponse, limit: number, totalPath: string | undefined): { offset: number } | null {
  // Advance by what arrived, not by `limit`: an API that caps the page size below `limit` must not skip rows.
  const following = (state?.offset ?? 0) + page.records.length;
  if (page.records.length === 0) return null;
  const total = totalPath ? numberAt(page.body, totalPath) : undefined;
  if (total !== undefined) return following >= total ? null : { offset: following };
  return page.records.length < limit ? null : { offset: following };
}

function cursor(spec: Extract<PaginatorSpec, { type: "cursor" }>): Paginator<{ cursor: string }> {
  return {
    request: (state) => ({
      query: {
        ...(state ? { [spec.cursor_param]: state.cursor } : {}),
        ...(spec.limit_param ? { [spec.limit_param]: spec.limit } : {}),
      },
    }),
    next: (state, page) => {
      const value = getPath(page.body, spec.cursor_path);
      if (value === null || value === undefined || value === "" || value === false) return null;
      if (typeof value !== "string" && typeof value !== "number") {
        throw new ConnectorError("configuration", `cursor_path "${spec.cursor_path}" holds ${typeof value}, not a cursor string`);
      }
      return { cursor: notRepeated(state?.cursor, String(value), `cursor_path "${spec.cursor_path}"`) };
    },
  };
}

/** next_url and link_header: the API hands over the next page's URL, possibly relative to the current one. */
function nextLink(find: (page: PageResponse) => unknown, where: string, drop: readonly string[] = []): Paginator<{ url: string }> {
  return {
    request: (state) => (state ? { url: state.url } : {}),
    next: (state, page) => {
      const link = find(page);
      if (link === null || link === undefined || link === "") return null;
      if (typeof link !== "string") throw new ConnectorError("configuration", `${where} holds ${typeof link}, not a URL`);
      return { url: notRepeated(state?.url, withoutQueryParams(new URL(link, page.url).toString(), drop), where) };
    },
  };
}

/**
 * Keyset paging on the last record, outside the rest_api styles: the next request names the key of the page's last
 * record (Stripe: `starting_after=<id>`), and the API says in the body whether more follow (`has_more`), so the
 * final page costs no extra empty request.
 */
export interface AfterLastRecordSpec {
  /** The query parameter that takes the last key (`starting_after`). */
  param: string;
  /** The record field holding the key (`id`). */
  keyField: string;
  /** The body path of the "more pages follow" flag (`has_more`); anything but `true` ends the list. */
  hasMorePath: string;
  limitParam?: string;
  limit?: number;
}

export function afterLastRecord(spec: AfterLastRecordSpec): Paginator<{ after: string }> {
  const where = `${spec.hasMorePath} / ${spec.keyField}`;
  return {
    request: (state) => ({
      query: {
        ...(spec.limitParam ? { [spec.limitParam]: spec.limit } : {}),
        ...(state ? { [spec.param]: state.after } : {}),
      },
    }),
    next: (state, page) => {
      if (getPath(page.body, spec.hasMorePath) !== true) return null;
      const last = page.records[page.records.length - 1];
      const key = last === undefined ? undefined : getPath(last, spec.keyField);
      if (typeof key !== "string" && typeof key !== "number") {
        // More pages announced but nothing to continue from: stopping here would silently drop the rest.
        throw new ConnectorError("data", `${spec.hasMorePath} is true but the page's last record has no ${spec.keyField} to continue after`);
      }
      return { after: notRepeated(state?.after, String(key), where) };
    },
  };
}

/** An API that hands back the page it just served would loop forever; fail loudly rather than stop and lose rows. */
function notRepeated(previous: string | undefined, next: string, where: string): string {
  if (previous === next) throw new ConnectorError("data", `pagination does not advance: ${where} returned the same value twice`);
  return next;
}

function numberAt(body: unknown, path: string): number | undefined {
  const value = getPath(body, path);
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** A copy of a JSON body with values set (or, for null, removed) at dot paths; missing objects on the way are made. */
export function withPaths(json: unknown, values: Record<string, JsonValue>): unknown {
  const root: Record<string, unknown> = json && typeof json === "object" && !Array.isArray(json) ? structuredClone(json as Record<string, unknown>) : {};
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split(".");
    let at: Record<string, unknown> = root;
    for (const key of keys.slice(0, -1)) {
      const next = at[key];
      if (!next || typeof next !== "object" || Array.isArray(next)) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    const leaf = keys[keys.length - 1]!;
    if (value === null) delete at[leaf];
    else at[leaf] = value;
  }
  return root;
}

/**
 * Offset paging in a JSON request body (GA4 runReport: `offset` and `limit` in the body, `rowCount` in the answer).
 * Advances by the records that arrived, like the query-string `offset` style.
 */
export interface BodyOffsetSpec {
  offsetPath: string;
  limitPath?: string;
  limit: number;
  /** The answer's total row count; without it paging ends at a short page. */
  totalPath?: string;
}

export function bodyOffset(spec: BodyOffsetSpec): Paginator<{ offset: number }> {
  return {
    request: (state) => ({ jsonSet: { [spec.offsetPath]: state?.offset ?? 0, ...(spec.limitPath ? { [spec.limitPath]: spec.limit } : {}) } }),
    next: (state, page) => nextOffset(state, page, spec.limit, spec.totalPath),
  };
}

/**
 * A cursor carried in a JSON request body: Google Ads search (`pageToken` ← `nextPageToken`), GraphQL connections
 * (`variables.after` ← `data.<field>.pageInfo.endCursor`, while `pageInfo.hasNextPage`).
 */
export interface BodyCursorSpec {
  /** Where the request body takes the cursor. */
  cursorPath: string;
  /** Where the answer holds the next cursor; absent, empty or null ends the list. */
  nextPath: string;
  /** Where the answer says more pages follow (GraphQL `hasNextPage`); anything but `true` ends the list. */
  hasMorePath?: string;
}

export function bodyCursor(spec: BodyCursorSpec): Paginator<{ cursor: string }> {
  return {
    request: (state) => ({ jsonSet: { [spec.cursorPath]: state ? state.cursor : null } }),
    next: (state, page) => {
      if (spec.hasMorePath !== undefined && getPath(page.body, spec.hasMorePath) !== true) return null;
      const value = getPath(page.body, spec.nextPath);
      if (value === null || value === undefined || value === "") {
        if (spec.hasMorePath !== undefined) {
          throw new ConnectorError("data", `${spec.hasMorePath} is true but ${spec.nextPath} holds no cursor to continue from`);
        }
        return null;
      }
      if (typeof value !== "string" && typeof value !== "number") {
        throw new ConnectorError("data", `${spec.nextPath} holds ${typeof value}, not a cursor string`);
      }
      return { cursor: notRepeated(state?.cursor, String(value), spec.nextPath) };
    },
  };
}

/**
 * Offset paging that re-reads the last `overlap` rows of each page. An offset is a position, so when a row before
 * it leaves the filtered set mid-read (a Mailchimp member whose `last_changed` moves past the read's upper bound),
 * every later row shifts back and one would be skipped; starting the next page `overlap` rows early reads such rows
 * again instead, and the warehouse merges the repeats by primary key. Ends at `offset + rows >= total`, else at a
 * short page.
 */
export interface OverlappingOffsetSpec {
  offsetParam: string;
  limitParam: string;
  limit: number;
  totalPath?: string;
  /** Rows re-read at each page boundary; less than `limit`, so every page advances. */
  overlap: number;
}

export function overlappingOffset(spec: OverlappingOffsetSpec): Paginator<{ offset: number }> {
  if (!(spec.overlap >= 0 && spec.overlap < spec.limit)) throw new Error("overlap must be at least 0 and below limit");
  return {
    request: (state) => ({ query: { [spec.offsetParam]: state?.offset ?? 0, [spec.limitParam]: spec.limit } }),
    next: (state, page) => {
      if (page.records.length === 0) return null;
      const current = state?.offset ?? 0;
      const end = current + page.records.length;
      const total = spec.totalPath ? numberAt(page.body, spec.totalPath) : undefined;
      if (total !== undefined ? end >= total : page.records.length < spec.limit) return null;
      return { offset: Math.max(current + 1, end - spec.overlap) };
    },
  };
}
