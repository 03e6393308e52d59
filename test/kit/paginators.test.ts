import { describe, expect, it } from "vitest";
import type { JsonObject, Page } from "../../connectors/kit/contract";
import { type HttpStream, readHttpStream } from "../../connectors/kit/declarative";
import { createPaginator, type PaginatorSpec } from "../../connectors/kit/paginators";
import { failure, testClient } from "./fake-fetch";
import { ITEMS, pagedApi } from "./paged-api";
import { collect, readContext as context } from "./read-helpers";

const API = "https://api.example.com";


/** The path and query of each request sent, e.g. "/page?page=2&per_page=10". */
const requested = (sent: Array<{ url: string }>) => sent.map((r) => new URL(r.url).pathname + new URL(r.url).search);

interface Case {
  name: string;
  spec: PaginatorSpec;
  path: string;
  query?: Record<string, string>;
  recordsPath?: string;
  requests: string[];
}

const cases: Case[] = [
  {
    name: "page_number with total_pages_path",
    spec: { type: "page_number", page_param: "page", size_param: "per_page", page_size: 10, total_pages_path: "meta.total_pages" },
    path: "/page",
    recordsPath: "items",
    requests: ["/page?page=1&per_page=10", "/page?page=2&per_page=10", "/page?page=3&per_page=10"],
  },
  {
    name: "page_number from page 0, ending at the short page",
    spec: { type: "page_number", page_param: "p", size_param: "size", page_size: 10, start_page: 0 },
    path: "/page0",
    requests: ["/page0?p=0&size=10", "/page0?p=1&size=10", "/page0?p=2&size=10"],
  },
  {
    name: "page_number whose last page is full, ending at the empty page",
    spec: { type: "page_number", page_param: "p", size_param: "size", page_size: 23, start_page: 0 },
    path: "/page0",
    requests: ["/page0?p=0&size=23", "/page0?p=1&size=23"],
  },
  {
    name: "offset, ending at the short page",
    spec: { type: "offset", offset_param: "offset", limit_param: "limit", limit: 5 },
    path: "/offset",
    recordsPath: "data",
    requests: [0, 5, 10, 15, 20].map((o) => `/offset?offset=${o}&limit=5`),
  },
  {
    name: "offset with a total, against an API that caps the page size",
    spec: { type: "offset", offset_param: "offset", limit_param: "limit", limit: 10, total_path: "total" },
    path: "/offset",
    recordsPath: "data",
    requests: [0, 5, 10, 15, 20].map((o) => `/offset?offset=${o}&limit=10`),
  },
  {
    name: "cursor from a nested path",
    spec: { type: "cursor", cursor_param: "after", cursor_path: "paging.next.after", limit_param: "limit", limit: 10 },
    path: "/cursor",
    recordsPath: "results",
    requests: ["/cursor?limit=10", "/cursor?after=10&limit=10", "/cursor?after=20&limit=10"],
  },
  {
    name: "next_url, relative, replacing the whole query",
    spec: { type: "next_url", next_url_path: "links.next" },
    path: "/next",
    query: { filter: "x" },
    recordsPath: "data",
    requests: ["/next?filter=x", "/next?from=10&filter=x", "/next?from=20&filter=x"],
  },
  {
    name: "link_header",
    spec: { type: "link_header" },
    path: "/link",
    requests: ["/link", "/link?page=2", "/link?page=3"],
  },
  { name: "none", spec: { type: "none" }, path: "/all", recordsPath: "records", requests: ["/all"] },
];

function stream(c: Case): HttpStream {
  return {
    request: { url: c.path, ...(c.query ? { query: c.query } : {}) },
    paginator: createPaginator(c.spec),
    ...(c.recordsPath ? { recordsPath: c.recordsPath } : {}),
    cursorField: "updated_at",
  };
}

describe.each(cases)("$name", (c) => {
  it("reads every record exactly once, sending the expected requests", async () => {
    const { http, sent } = testClient(pagedApi, { baseUrl: API });
    const pages = await collect(readHttpStream(context(http), stream(c), { state: null, checkpoint: null }));
    expect(requested(sent)).toEqual(c.requests);
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(ITEMS.map((i) => i.id));
    expect(pages.map((p) => p.checkpoint.done)).toEqual(c.requests.map((_, i) => i === c.requests.length - 1));
    expect(pages.at(-1)?.state).toEqual({ cursor: ITEMS.at(-1)?.updated_at });
  });

  it("resumes from a serialized checkpoint exactly after the page it describes", async () => {
    if (c.requests.length < 2) return;
    const first = testClient(pagedApi, { baseUrl: API });
    const iterator = readHttpStream(context(first.http), stream(c), { state: null, checkpoint: null });
    const page1 = (await iterator.next()).value as Page;
    await iterator.return(undefined);
    const checkpoint = JSON.parse(JSON.stringify(page1.checkpoint)) as JsonObject;

    const resumed = testClient(pagedApi, { baseUrl: API });
    const rest = await collect(readHttpStream(context(resumed.http), stream(c), { state: null, checkpoint }));
    expect(requested(resumed.sent)).toEqual(c.requests.slice(1));
    expect([...page1.records, ...rest.flatMap((p) => p.records)].map((r) => r.id)).toEqual(ITEMS.map((i) => i.id));
    expect(rest.at(-1)?.state).toEqual({ cursor: ITEMS.at(-1)?.updated_at });
  });
});

describe("readHttpStream", () => {
  const pageSpec = cases[0]!;

  it("reads nothing when resumed from the final checkpoint", async () => {
    const { http, sent } = testClient(pagedApi, { baseUrl: API });
    const pages = await collect(
      readHttpStream(context(http), stream(pageSpec), { state: null, checkpoint: { next: null, done: true, cursor: "2024-01-01T00:00:22.000Z" } }),
    );
    expect(pages).toEqual([]);
    expect(sent).toEqual([]);
  });

  it("rejects a checkpoint it did not write", async () => {
    const { http } = testClient(pagedApi, { baseUrl: API });
    const error = await failure(collect(readHttpStream(context(http), stream(pageSpec), { state: null, checkpoint: { page: 3 } })));
    expect(error).toMatchObject({ kind: "data" });
  });

  it("stops at a page boundary once the signal is aborted", async () => {
    const controller = new AbortController();
    const { http, sent } = testClient(pagedApi, { baseUrl: API });
    const pages: Page[] = [];
    for await (const page of readHttpStream(context(http, controller.signal), stream(pageSpec), { state: null, checkpoint: null })) {
      pages.push(page);
      controller.abort();
    }
    expect(pages).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(pages[0]?.checkpoint).toEqual({ next: { page: 2 }, done: false, cursor: ITEMS[9]?.updated_at });
  });

  it("carries the committed cursor forward when a run finds no records", async () => {
    const { http } = testClient(pagedApi, { baseUrl: API });
    const pages = await collect(
      readHttpStream(context(http), { ...stream(pageSpec), request: { url: "/empty" } }, { state: { cursor: "2023-06-01T00:00:00Z" }, checkpoint: null }),
    );
    expect(pages).toEqual([{ records: [], checkpoint: { next: null, done: true, cursor: "2023-06-01T00:00:00Z" }, state: { cursor: "2023-06-01T00:00:00Z" } }]);
  });

  it("gives no state for a stream without a cursor field", async () => {
    const { http } = testClient(pagedApi, { baseUrl: API });
    const pages = await collect(readHttpStream(context(http), { ...stream(cases.at(-1)!), cursorField: null }, { state: null, checkpoint: null }));
    expect(pages[0]?.state).toBeUndefined();
    expect(pages[0]?.checkpoint.cursor).toBeNull();
  });

  it("applies mapRecord to what it yields", async () => {
    const { http } = testClient(pagedApi, { baseUrl: API });
    const pages = await collect(
      readHttpStream(context(http), { ...stream(cases.at(-1)!), mapRecord: (r) => ({ key: r.id }) }, { state: null, checkpoint: null }),
    );
    expect(pages[0]?.records[0]).toEqual({ key: 1 });
  });

  it("fails loudly when a cursor does not advance", async () => {
    const { http, sent } = testClient(pagedApi, { baseUrl: API });
    const spec: PaginatorSpec = { type: "cursor", cursor_param: "c", cursor_path: "next" };
    const error = await failure(
      collect(readHttpStream(context(http), { request: { url: "/stuck-cursor" }, paginator: createPaginator(spec), recordsPath: "results" }, { state: null, checkpoint: null })),
    );
    expect(error).toMatchObject({ kind: "data", message: 'pagination does not advance: cursor_path "next" returned the same value twice' });
    expect(requested(sent)).toEqual(["/stuck-cursor", "/stuck-cursor?c=same"]);
  });
});
