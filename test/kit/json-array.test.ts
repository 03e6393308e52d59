/**
 * kit/streams.ts jsonArrayItems: the elements of a streamed top-level JSON array, whatever the chunk boundaries,
 * with brackets and quotes inside strings, exact big integers, and a cut body as a retryable error after the
 * elements that did arrive.
 */
import { describe, expect, it } from "vitest";
import { jsonArrayItems } from "../../connectors/kit/streams";

function chunked(text: string, size: number, cut = false): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return cut ? controller.error(new Error("connection reset")) : controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>) {
  const out: unknown[] = [];
  for await (const item of jsonArrayItems(stream)) out.push(item.value);
  return out;
}

const BODY = ` [{"results":[{"campaign":{"name":"a ] [ \\" , }"}}],"fieldMask":"campaign.name"},\n {"results":[],"n":12345678901234567890}, [1,[2]], "x", 3 ]\n`;

describe("jsonArrayItems", () => {
  it("yields every element whatever the chunk size", async () => {
    const expected = [{ results: [{ campaign: { name: 'a ] [ " , }' } }], fieldMask: "campaign.name" }, { results: [], n: 12345678901234567890n }, [1, [2]], "x", 3];
    for (const size of [1, 2, 3, 7, 64, 4096]) expect(await all(chunked(BODY, size))).toEqual(expected);
    expect(await all(chunked("[]", 1))).toEqual([]);
    // Multi-byte characters split across chunks.
    expect(await all(chunked('[{"name":"Zürich 東京"}]', 1))).toEqual([{ name: "Zürich 東京" }]);
  });

  it("a body cut inside the array fails retryably after the complete elements", async () => {
    const seen: unknown[] = [];
    const read = (async () => {
      for await (const item of jsonArrayItems(chunked('[{"a":1},{"a":2},{"a"', 4))) seen.push(item.value);
    })();
    await expect(read).rejects.toMatchObject({ kind: "retryable", message: expect.stringContaining("ended before its closing bracket") });
    expect(seen).toEqual([{ a: 1 }, { a: 2 }]);
    await expect(all(chunked("[1,2", 3, true))).rejects.toThrow();
    await expect(all(chunked('{"error":{}}', 5))).rejects.toMatchObject({ kind: "data" });
  });
});
