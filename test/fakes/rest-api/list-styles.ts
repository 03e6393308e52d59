import type { Dataset } from "./dataset";
import type { Reply } from "./http";
import { cursorIndex, encodeCursor, integerParam, pageSizeParam, sinceIndex, withParams } from "./query";

/** One list request: the tenant's items, the query, and the request's absolute URL (for next links). */
export interface ListRequest {
  dataset: Dataset;
  query: URLSearchParams;
  url: URL;
}

type ListStyle = (request: ListRequest) => Reply;

function json(body: string, headers?: Record<string, string>): Reply {
  return { status: 200, body, ...(headers ? { headers } : {}) };
}

/** Where `page` (1-based) of `perPage` starts, clamped so an absurd page number is just an empty page. */
function pageStart(start: number, size: number, page: number, perPage: number): number {
  return Math.min(start + (page - 1) * perPage, size);
}

/** `?page=&per_page=` → `{items, meta: {page, per_page, total_pages, total}}`. */
const page: ListStyle = ({ dataset, query }) => {
  const start = sinceIndex(dataset, query);
  const perPage = pageSizeParam(query, "per_page");
  const pageNumber = integerParam(query, "page", 1, 1);
  const total = dataset.size - start;
  const from = pageStart(start, dataset.size, pageNumber, perPage);
  const meta = { page: pageNumber, per_page: perPage, total_pages: Math.ceil(total / perPage), total };
  return json(`{"items":${dataset.jsonSlice(from, from + perPage)},"meta":${JSON.stringify(meta)}}`);
};

/** `?offset=&limit=` → `{data, total}`. */
const offset: ListStyle = ({ dataset, query }) => {
  const start = sinceIndex(dataset, query);
  const limit = pageSizeParam(query, "limit");
  const from = Math.min(start + integerParam(query, "offset", 0, 0), dataset.size);
  return json(`{"data":${dataset.jsonSlice(from, from + limit)},"total":${dataset.size - start}}`);
};

/** The keyset page shared by the cursor and next-url styles: items and the cursor after them (null at the end). */
function keysetPage(dataset: Dataset, query: URLSearchParams, cursorParam: string) {
  const from = cursorIndex(dataset, query, cursorParam);
  const limit = pageSizeParam(query, "limit");
  const end = Math.min(from + limit, dataset.size);
  const lastKey = end < dataset.size ? dataset.keyAt(end - 1) : undefined;
  return { items: dataset.jsonSlice(from, end), limit, next: lastKey && encodeCursor(lastKey) };
}

/** `?after=&limit=` → `{results, next_cursor}`. */
const cursor: ListStyle = ({ dataset, query }) => {
  const { items, next } = keysetPage(dataset, query, "after");
  return json(`{"results":${items},"next_cursor":${JSON.stringify(next ?? null)}}`);
};

/** `?limit=&cursor=` → `{data, links: {self, next}}`, next being an absolute URL or null. */
const nextUrl: ListStyle = ({ dataset, query, url }) => {
  const { items, limit, next } = keysetPage(dataset, query, "cursor");
  const links = { self: url.toString(), next: next ? withParams(url, { cursor: next, limit: String(limit) }) : null };
  return json(`{"data":${items},"links":${JSON.stringify(links)}}`);
};

/**
 * `?page=&per_page=` → a bare array, with an RFC 8288 Link header shaped like GitHub's: prev/next/last/first as
 * they apply, so "next" is not always the first relation a client meets. No Link header on a single page.
 */
const link: ListStyle = ({ dataset, query, url }) => {
  const start = sinceIndex(dataset, query);
  const perPage = pageSizeParam(query, "per_page");
  const pageNumber = integerParam(query, "page", 1, 1);
  const total = dataset.size - start;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const from = pageStart(start, dataset.size, pageNumber, perPage);
  const target = (n: number) => withParams(url, { page: String(n), per_page: String(perPage) });
  const relations: string[] = [];
  if (pageNumber > 1) relations.push(`<${target(Math.min(pageNumber - 1, lastPage))}>; rel="prev"`);
  if (pageNumber < lastPage) {
    relations.push(`<${target(pageNumber + 1)}>; rel="next"`, `<${target(lastPage)}>; rel="last"`);
  }
  if (pageNumber > 1) relations.push(`<${target(1)}>; rel="first"`);
  const headers: Record<string, string> = { "x-total-count": String(total) };
  if (relations.length > 0) headers.link = relations.join(", ");
  return json(dataset.jsonSlice(from, from + perPage), headers);
};

/** No pagination at all: a bare array of every (filtered) item. */
const all: ListStyle = ({ dataset, query }) => json(dataset.jsonSlice(sinceIndex(dataset, query), dataset.size));

/** Route segment → style: `/t/{tenant}/{segment}/items`. */
export const listStyles: Record<string, ListStyle> = { page, offset, cursor, "next-url": nextUrl, link, all };
