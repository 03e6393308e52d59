/**
 * The kit's fan-out (child streams per parent) and overlapping offset pages, over an in-memory API: every child row
 * once with its parent's id, a state that never passes the run's upper bound, resumption inside a parent, and offsets
 * that survive a row leaving the window mid-read.
 */
import { describe, expect, it } from "vitest";
import type { ConnectorContext, JsonObject, Page } from "../../connectors/kit/contract";
import { type HttpStream, readHttpStream } from "../../connectors/kit/declarative";
import { type FanOutRead, MAX_PARENTS, readFanOut } from "../../connectors/kit/fan-out";
import type { HttpClient } from "../../connectors/kit/http";
import { createPaginator, overlappingOffset } from "../../connectors/kit/paginators";
import { type Handler, testClient } from "./fake-fetch";

const API = "https://api.example.com";
const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

/** Groups a, b, c with 3, 0 and 5 members; member times are minutes of 2024-01-01. */
const MEMBERS: Record<string, Array<{ id: string; at: string }>> = {
  a: [1, 2, 3].map((m) => ({ id: `a${m}`, at: `2024-01-01T00:0${m}:00Z` })),
  b: [],
  c: [4, 5, 6, 7, 9].map((m) => ({ id: `c${m}`, at: `2024-01-01T00:0${m}:00Z` })),
};

const groupsApi: Handler = (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/groups") return json({ data: Object.keys(MEMBERS).map((id) => ({ id })) });
  const match = /^\/groups\/(\w+)\/members$/.exec(url.pathname);
  if (!match) return new Response("{}", { status: 404 });
  const after = Number(url.searchParams.get("after") ?? 0);
  const rows = MEMBERS[match[1]!]!.slice(after, after + 2);
  return json({ data: rows, next: after + 2 < MEMBERS[match[1]!]!.length ? after + 2 : null });
};

function context(http: HttpClient): ConnectorContext {
  return { http, signal: new AbortController().signal, now: () => new Date("2024-06-01T00:00:00Z") };
}

function fanOut(overrides: Partial<FanOutRead> = {}): FanOutRead {
  return {
    reader: "test",
    parents: async (ctx) => {
      const ids: string[] = [];
      const listing: HttpStream = { request: { url: `${API}/groups` }, paginator: createPaginator({ type: "none" }), recordsPath: "data" };
      for await (const page of readHttpStream(ctx, listing, { state: null, checkpoint: null })) ids.push(...page.records.map((r) => String(r.id)));
      return ids;
    },
    child: (id) => ({
      request: { url: `${API}/groups/${id}/members` },
      paginator: createPaginator({ type: "cursor", cursor_param: "after", cursor_path: "next" }),
      recordsPath: "data",
    }),
    parentKey: "group_id",
    cursorField: "at",
    committed: null,
    upper: "2024-01-01T00:08:00Z",
    ...overrides,
  };
}

async function collect(pages: AsyncIterable<Page>): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe("readFanOut", () => {
  it("lists the parents once, reads each parent's pages with the parent's id, and caps the state at the upper bound", async () => {
    const { http, sent } = testClient(groupsApi);
    const pages = await collect(readFanOut(context(http), fanOut(), null));
    expect(pages.flatMap((p) => p.records)).toEqual([
      ...MEMBERS.a!.map((m) => ({ ...m, group_id: "a" })),
      ...MEMBERS.c!.map((m) => ({ ...m, group_id: "c" })),
    ]);
    expect(sent.map((r) => new URL(r.url).pathname + new URL(r.url).search)).toEqual([
      "/groups",
      "/groups/a/members",
      "/groups/a/members?after=2",
      "/groups/b/members",
      "/groups/c/members",
      "/groups/c/members?after=2",
      "/groups/c/members?after=4",
    ]);
    // c9 (00:09) is newer than the upper bound (00:08): the state stops there, so the next run reads c9 again.
    expect(pages.at(-1)!.state).toEqual({ cursor: "2024-01-01T00:08:00Z" });
    expect(pages.at(-1)!.checkpoint).toMatchObject({ phase: "done", parents: ["a", "b", "c"] });
  });

  it("resumes inside a parent from any checkpoint without listing the parents again; a done checkpoint reads nothing", async () => {
    const first = testClient(groupsApi);
    const all = await collect(readFanOut(context(first.http), fanOut(), null));
    for (let i = 0; i < all.length - 1; i++) {
      const again = testClient(groupsApi);
      const rest = await collect(readFanOut(context(again.http), fanOut({ upper: "2030-01-01T00:00:00Z" }), all[i]!.checkpoint as JsonObject));
      expect(rest.flatMap((p) => p.records)).toEqual(all.slice(i + 1).flatMap((p) => p.records));
      expect(again.sent.some((r) => new URL(r.url).pathname === "/groups")).toBe(false);
      // The resumed chunk keeps the run's own upper bound, not its caller's.
      expect(rest.at(-1)!.state).toEqual({ cursor: "2024-01-01T00:08:00Z" });
    }
    const done = testClient(groupsApi);
    expect(await collect(readFanOut(context(done.http), fanOut(), all.at(-1)!.checkpoint as JsonObject))).toEqual([]);
    expect(done.sent).toHaveLength(0);
  });

  it("keeps the committed cursor when no parent has rows, and ends with a done checkpoint", async () => {
    const { http } = testClient(() => json({ data: [] }));
    const pages = await collect(readFanOut(context(http), fanOut({ committed: "2024-01-01T00:00:30Z" }), null));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ records: [], state: { cursor: "2024-01-01T00:00:30Z" }, checkpoint: { phase: "done" } });
  });

  it("expands one child record into several rows and filters them client-side", async () => {
    const { http } = testClient(groupsApi);
    const pages = await collect(
      readFanOut(
        context(http),
        fanOut({
          expand: (r) => [r, { ...r, id: `${String(r.id)}x` }],
          keep: (r) => String(r.id).endsWith("x"),
        }),
        null,
      ),
    );
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(["a1x", "a2x", "a3x", "c4x", "c5x", "c6x", "c7x", "c9x"]);
  });

  it("refuses more parents than a checkpoint can carry, and a checkpoint it did not write", async () => {
    const { http } = testClient(groupsApi);
    const many = fanOut({ parents: async () => Array.from({ length: MAX_PARENTS + 1 }, (_, i) => `p${i}`) });
    await expect(collect(readFanOut(context(http), many, null))).rejects.toMatchObject({ kind: "data" });
    await expect(collect(readFanOut(context(http), fanOut(), { phase: "a", next: null }))).rejects.toMatchObject({ kind: "data" });
  });
});

describe("overlappingOffset", () => {
  /** 2,500 rows; the first `leave` of them leave the set once the first page has been served (they changed mid-read). */
  function shrinkingApi(leave: number): Handler {
    let served = 0;
    return (request) => {
      const url = new URL(request.url);
      const offset = Number(url.searchParams.get("offset"));
      const count = Number(url.searchParams.get("count"));
      const all = Array.from({ length: 2500 }, (_, i) => ({ id: i }));
      const rows = served++ === 0 ? all : all.slice(leave);
      return json({ items: rows.slice(offset, offset + count), total_items: rows.length });
    };
  }

  async function ids(handler: Handler, overlap: number): Promise<{ ids: number[]; offsets: string[] }> {
    const { http, sent } = testClient(handler);
    const stream: HttpStream = {
      request: { url: `${API}/items` },
      paginator: overlappingOffset({ offsetParam: "offset", limitParam: "count", limit: 1000, totalPath: "total_items", overlap }) as never,
      recordsPath: "items",
    };
    const pages = await collect(readHttpStream(context(http), stream, { state: null, checkpoint: null }));
    return { ids: pages.flatMap((p) => p.records.map((r) => r.id as number)), offsets: sent.map((r) => new URL(r.url).searchParams.get("offset")!) };
  }

  it("without a change, reads every row, the overlaps twice, and stops at total_items", async () => {
    const got = await ids(shrinkingApi(0), 50);
    expect(got.offsets).toEqual(["0", "950", "1900"]);
    expect(new Set(got.ids).size).toBe(2500);
    expect(got.ids).toHaveLength(2600);
  });

  it("rows leaving the set before the offset mid-read shift the rest back: an overlap catches them, plain offsets skip them", async () => {
    const plain = await ids(shrinkingApi(3), 0);
    expect(new Set(plain.ids).size).toBeLessThan(2500);
    expect(plain.ids).not.toContain(1000);
    const overlapped = await ids(shrinkingApi(3), 50);
    // Every row still in the set is read (the three that left are the next run's: they changed).
    for (let id = 3; id < 2500; id++) expect(overlapped.ids).toContain(id);
  });

  it("refuses an overlap that would not advance", () => {
    expect(() => overlappingOffset({ offsetParam: "o", limitParam: "c", limit: 10, overlap: 10 })).toThrow();
  });
});
