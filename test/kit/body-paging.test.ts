/**
 * Paging state in a JSON request body, walked by the declarative read loop: GA4 runReport (`offset`/`limit`,
 * `rowCount`), Google Ads search (`pageToken` ← `nextPageToken`) and a GraphQL connection (`variables.after` ←
 * `pageInfo.endCursor` while `hasNextPage`). Each fake reads the position from the body, as the APIs do.
 */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../connectors/kit/contract";
import { readHttpStream } from "../../connectors/kit/declarative";
import { applyPatch, bodyCursor, bodyOffset } from "../../connectors/kit/paginators";
import { failure, testClient, type SentRequest } from "./fake-fetch";
import { collect, readContext as context } from "./read-helpers";

const ROWS = Array.from({ length: 23 }, (_, i) => ({ date: `202401${String(i + 1).padStart(2, "0")}`, sessions: i * 10 }));


const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
const bodies = (sent: SentRequest[]) => sent.map((r) => JSON.parse(r.body ?? "null") as Record<string, unknown>);

/** GA4 runReport: caps `limit` at 10 here (the API caps at 250,000), answers `rowCount` with every page. */
function ga4(request: SentRequest) {
  const body = JSON.parse(request.body ?? "{}") as { offset?: number; limit?: number };
  const offset = Number(body.offset ?? 0);
  const limit = Math.min(Number(body.limit ?? 10_000), 10);
  return json({ rows: ROWS.slice(offset, offset + limit), rowCount: ROWS.length });
}

/** Google Ads search: opaque page tokens, `nextPageToken` absent on the last page. */
function ads(request: SentRequest) {
  const body = JSON.parse(request.body ?? "{}") as { pageToken?: string; query?: string };
  if (!body.query) return new Response('{"error":{"code":400,"message":"query is required"}}', { status: 400 });
  const start = body.pageToken ? Number(atob(body.pageToken)) : 0;
  const next = start + 10 < ROWS.length ? btoa(String(start + 10)) : undefined;
  return json({ results: ROWS.slice(start, start + 10), ...(next ? { nextPageToken: next } : {}) });
}

/** A GraphQL connection (Shopify's shape): `after` in variables, pageInfo in the answer. */
function graphqlConnection(request: SentRequest) {
  const body = JSON.parse(request.body ?? "{}") as { query: string; variables?: { after?: string; first?: number } };
  const after = body.variables?.after ? Number(body.variables.after.replace("cursor-", "")) : 0;
  const first = body.variables?.first ?? 10;
  const nodes = ROWS.slice(after, after + first);
  const end = after + nodes.length;
  return json({ data: { orders: { nodes, pageInfo: { hasNextPage: end < ROWS.length, endCursor: `cursor-${end}` } } } });
}

describe("body paging", () => {
  it("GA4-style offset in the body, advancing by what arrived and ending at rowCount", async () => {
    const { http, sent } = testClient(ga4);
    const request = { method: "POST", url: "https://analyticsdata.googleapis.com/v1beta/properties/1:runReport", json: { dimensions: [{ name: "date" }], limit: 999 } };
    const pages = await collect(readHttpStream(context(http), { request, paginator: bodyOffset({ offsetPath: "offset", limitPath: "limit", limit: 100, totalPath: "rowCount" }), recordsPath: "rows" }, { state: null, checkpoint: null }));
    expect(pages.flatMap((p) => p.records)).toEqual(ROWS);
    expect(bodies(sent)).toEqual([0, 10, 20].map((offset) => ({ dimensions: [{ name: "date" }], limit: 100, offset })));
  });

  it("Google Ads pageToken in the body, none on the first page, resumable from a checkpoint", async () => {
    const { http, sent } = testClient(ads);
    const stream = {
      request: { method: "POST", url: "https://googleads.googleapis.com/v21/customers/1/googleAds:search", json: { query: "SELECT segments.date FROM customer" } },
      paginator: bodyCursor({ cursorPath: "pageToken", nextPath: "nextPageToken" }),
      recordsPath: "results",
    };
    const pages = await collect(readHttpStream(context(http), stream, { state: null, checkpoint: null }));
    expect(pages.flatMap((p) => p.records)).toEqual(ROWS);
    expect(bodies(sent)).toEqual([
      { query: "SELECT segments.date FROM customer" },
      { query: "SELECT segments.date FROM customer", pageToken: btoa("10") },
      { query: "SELECT segments.date FROM customer", pageToken: btoa("20") },
    ]);

    const resumed = testClient(ads);
    const rest = await collect(readHttpStream(context(resumed.http), stream, { state: null, checkpoint: pages[0]!.checkpoint as JsonObject }));
    expect(rest.flatMap((p) => p.records)).toEqual(ROWS.slice(10));
    expect(bodies(resumed.sent).map((b) => b.pageToken)).toEqual([btoa("10"), btoa("20")]);
  });

  it("GraphQL variables.after from pageInfo.endCursor while hasNextPage, keeping the other variables", async () => {
    const { http, sent } = testClient(graphqlConnection);
    const query = "query($first: Int!, $after: String) { orders(first: $first, after: $after) { nodes { date } pageInfo { hasNextPage endCursor } } }";
    const pages = await collect(
      readHttpStream(
        context(http),
        {
          request: { method: "POST", url: "https://shop1.myshopify.com/admin/api/2025-07/graphql.json", json: { query, variables: { first: 10 } } },
          paginator: bodyCursor({ cursorPath: "variables.after", nextPath: "data.orders.pageInfo.endCursor", hasMorePath: "data.orders.pageInfo.hasNextPage" }),
          recordsPath: "data.orders.nodes",
        },
        { state: null, checkpoint: null },
      ),
    );
    expect(pages.flatMap((p) => p.records)).toEqual(ROWS);
    expect(bodies(sent).map((b) => b.variables)).toEqual([{ first: 10 }, { first: 10, after: "cursor-10" }, { first: 10, after: "cursor-20" }]);
  });

  it("fails loudly when more pages are announced without a cursor, or the cursor repeats", async () => {
    const noCursor = testClient(() => json({ data: { c: { nodes: [{ id: 1 }], pageInfo: { hasNextPage: true, endCursor: null } } } }));
    const paginator = bodyCursor({ cursorPath: "variables.after", nextPath: "data.c.pageInfo.endCursor", hasMorePath: "data.c.pageInfo.hasNextPage" });
    const stream = { request: { method: "POST", url: "https://x.example.com/graphql", json: { query: "q" } }, paginator, recordsPath: "data.c.nodes" };
    const missing = await failure(collect(readHttpStream(context(noCursor.http), stream, { state: null, checkpoint: null })));
    expect(missing.kind).toBe("data");
    expect(missing.message).toBe("data.c.pageInfo.hasNextPage is true but data.c.pageInfo.endCursor holds no cursor to continue from");
    const stuck = testClient(() => json({ data: { c: { nodes: [{ id: 1 }], pageInfo: { hasNextPage: true, endCursor: "same" } } } }));
    expect((await failure(collect(readHttpStream(context(stuck.http), stream, { state: null, checkpoint: null })))).message).toMatch(/does not advance/);
  });

  it("jsonSet writes into a copy, creating objects on the way, and null removes a path", () => {
    const base = { method: "POST", url: "/q", json: { variables: { first: 5, after: "old" }, keep: [1] } };
    expect(applyPatch(base, { jsonSet: { "variables.after": "new", "paging.token": "t" } }).json).toEqual({ variables: { first: 5, after: "new" }, keep: [1], paging: { token: "t" } });
    expect(applyPatch(base, { jsonSet: { "variables.after": null } }).json).toEqual({ variables: { first: 5 }, keep: [1] });
    expect(base.json).toEqual({ variables: { first: 5, after: "old" }, keep: [1] });
  });
});
