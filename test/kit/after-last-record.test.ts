import { describe, expect, it } from "vitest";
import { readHttpStream } from "../../connectors/kit/declarative";
import { afterLastRecord } from "../../connectors/kit/paginators";
import { failure, reply, script, testClient } from "./fake-fetch";
import { collect, readContext as context } from "./read-helpers";

const paginator = afterLastRecord({ param: "starting_after", keyField: "id", hasMorePath: "has_more", limitParam: "limit", limit: 2 });
const list = (ids: string[], hasMore: boolean) => reply(200, { data: ids.map((id) => ({ id })), has_more: hasMore });


const stream = { request: { url: "https://api.example.com/v1/things", query: { status: "all" } }, paginator, recordsPath: "data" };

describe("afterLastRecord paginator", () => {
  it("continues after the last record's key while has_more is true, and stops when it is not", async () => {
    const { http, sent } = testClient(script(list(["c", "b"], true), list(["a", "z"], false)));
    const pages = await collect(readHttpStream(context(http), stream, { state: null, checkpoint: null }));
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(["c", "b", "a", "z"]);
    expect(sent.map((r) => new URL(r.url).search)).toEqual(["?status=all&limit=2", "?status=all&limit=2&starting_after=b"]);
    expect(pages.map((p) => p.checkpoint)).toEqual([
      { next: { after: "b" }, done: false, cursor: null },
      { next: null, done: true, cursor: null },
    ]);
  });

  it("resumes from a checkpoint with the key it holds", async () => {
    const { http, sent } = testClient(script(list(["a"], false)));
    const pages = await collect(readHttpStream(context(http), stream, { state: null, checkpoint: { next: { after: "b" }, done: false, cursor: null } }));
    expect(pages).toHaveLength(1);
    expect(new URL(sent[0]!.url).searchParams.get("starting_after")).toBe("b");
  });

  it("fails as data when more pages are announced but there is nothing to continue after", async () => {
    const empty = testClient(script(list([], true)));
    expect(await failure(collect(readHttpStream(context(empty.http), stream, { state: null, checkpoint: null })))).toMatchObject({
      kind: "data",
      message: "has_more is true but the page's last record has no id to continue after",
    });
    const repeated = testClient(script(list(["b"], true), list(["b"], true)));
    expect(await failure(collect(readHttpStream(context(repeated.http), stream, { state: null, checkpoint: null })))).toMatchObject({
      kind: "data",
      message: expect.stringContaining("pagination does not advance"),
    });
  });

  it("treats anything but a literal true as the last page", () => {
    for (const flag of [false, "true", 1, null, undefined]) {
      expect(paginator.next(null, { body: { has_more: flag }, headers: new Headers(), url: "https://x", records: [{ id: "a" }] })).toBeNull();
    }
  });
});
