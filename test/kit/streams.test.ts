import { describe, expect, it } from "vitest";
import { ConnectorError } from "../../connectors/kit/errors";
import { gunzip, jsonLines, type Line, lines, parseJsonExact } from "../../connectors/kit/streams";
import { failure } from "./fake-fetch";

const encoder = new TextEncoder();

/** A stream of the given byte chunks, in order. */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[i++];
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

/** The bytes of `text`, cut every `size` bytes (so multi-byte characters are split across chunks). */
function chunked(text: string | Uint8Array, size: number): ReadableStream<Uint8Array> {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.slice(at, at + size));
  return streamOf(parts);
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function gzipped(text: string): Promise<Uint8Array> {
  const compressed = chunked(text, 1 << 16).pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

describe("lines", () => {
  const text = "\uFEFFfirst\r\nzwei é\n\n€ drei 😀\r\nlast without newline";

  it("splits LF and CRLF, keeps an empty line and a final line without newline, skips the BOM, and counts bytes exactly", async () => {
    const expected: Line[] = [
      { text: "first", line: 1, byteEnd: 3 + 7 },
      { text: "zwei é", line: 2, byteEnd: 10 + 8 },
      { text: "", line: 3, byteEnd: 19 },
      { text: "€ drei 😀", line: 4, byteEnd: 19 + 3 + 6 + 4 + 2 },
      { text: "last without newline", line: 5, byteEnd: encoder.encode(text).length },
    ];
    // Every chunk size from one byte up: characters of 2, 3 and 4 bytes and the CRLF pairs are cut everywhere.
    for (const size of [1, 2, 3, 5, 7, 64]) {
      expect(await all(lines(chunked(text, size)))).toEqual(expected);
    }
  });

  it("resumes from a byte offset as a Range request would, continuing offsets and numbers", async () => {
    const bytes = encoder.encode(text);
    const whole = await all(lines(chunked(bytes, 4)));
    const after = whole[1]!;
    const resumed = await all(lines(chunked(bytes.slice(after.byteEnd), 3), { after }));
    expect(resumed).toEqual(whole.slice(2));
  });

  it("refuses a line longer than maxLineBytes instead of buffering it", async () => {
    const error = await failure(all(lines(chunked("short\n" + "y".repeat(5000), 100), { maxLineBytes: 4096 })));
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.kind).toBe("data");
    expect(error.message).toBe("line 2 is longer than 4096 bytes");
  });

  it("cancels the source when the reader stops early", async () => {
    let cancelled = false;
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++;
          controller.enqueue(encoder.encode("a line\n"));
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    for await (const line of lines(source)) if (line.line === 3) break;
    expect(cancelled).toBe(true);
    expect(pulls).toBe(3);
  });
});

describe("jsonLines", () => {
  it("keeps integers beyond 2^53 exact as BigInt, and everything else as JSON.parse does", async () => {
    const text = [
      '{"id":9007199254740993,"small":42,"neg":-9223372036854775808,"price":12.50,"big_float":1e21,"text":"12345678901234567890"}',
      "",
      '[18446744073709551615, 9007199254740991, {"nested":{"deep":[123456789012345678901234567890]}}]',
      "   ",
      '{"plain":true}',
    ].join("\n");
    const values = await all(jsonLines(chunked(text, 7)));
    expect(values.map((v) => v.line)).toEqual([1, 3, 5]);
    const [first, second, third] = values.map((v) => v.value) as [Record<string, unknown>, unknown[], unknown];
    // 9007199254740993 is 2^53 + 1: a number would have rounded it to ...992.
    expect(first.id).toBe(9007199254740993n);
    expect(first.neg).toBe(-9223372036854775808n);
    expect(first.small).toBe(42);
    expect(first.price).toBe(12.5);
    expect(first.big_float).toBe(1e21);
    expect(first.text).toBe("12345678901234567890");
    expect(second).toEqual([18446744073709551615n, 9007199254740991, { nested: { deep: [123456789012345678901234567890n] } }]);
    expect(typeof second[1]).toBe("number");
    expect(third).toEqual({ plain: true });
    // The proof that the exact path is needed: plain JSON.parse loses the last digit.
    expect(String((JSON.parse('{"id":9007199254740993}') as { id: number }).id)).toBe("9007199254740992");
    expect(parseJsonExact('{"id":9007199254740993}')).toEqual({ id: 9007199254740993n });
  });

  it("names the line of a value that is not JSON", async () => {
    const error = await failure(all(jsonLines(chunked('{"a":1}\n{"a":\n', 5))));
    expect(error.kind).toBe("data");
    expect(error.message).toMatch(/^line 2 is not valid JSON/);
  });
});

describe("gunzip", () => {
  it("reads a gzip JSONL stream line by line", async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `{"id":${9007199254740993n + BigInt(i)},"n":${i},"name":"row ${i} ünïcode"}`);
    const gz = await gzipped(`${rows.join("\n")}\n`);
    expect(gz.length).toBeLessThan(rows.join("\n").length / 3);
    const values = await all(jsonLines(gunzip(chunked(gz, 333))));
    expect(values).toHaveLength(2000);
    expect(values[0]?.value).toEqual({ id: 9007199254740993n, n: 0, name: "row 0 ünïcode" });
    expect(values[1999]?.value).toEqual({ id: 9007199254740993n + 1999n, n: 1999, name: "row 1999 ünïcode" });
    expect(values.map((v) => (v.value as { n: number }).n)).toEqual(rows.map((_, i) => i));
  });

  it("reads every member of a multi-member gzip file (cat a.gz b.gz)", async () => {
    const first = await gzipped('{"n":1}\n{"n":2}\n');
    const second = await gzipped('{"n":3}\n{"n":9007199254740993}\n');
    const both = new Uint8Array(first.length + second.length);
    both.set(first);
    both.set(second, first.length);
    for (const size of [1, 7, 4096]) {
      expect((await all(jsonLines(gunzip(chunked(both, size))))).map((v) => (v.value as { n: unknown }).n)).toEqual([1, 2, 3, 9007199254740993n]);
    }
  });

  it("hands out the output a chunk at a time, and cancelling it cancels the source", async () => {
    const gz = await gzipped("z".repeat(20_000_000));
    expect(gz.length).toBeLessThan(100_000);
    let cancelled = false;
    let at = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          controller.enqueue(gz.slice(at, at + 1000));
          at += 1000;
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const reader = gunzip(source).getReader();
    const first = await reader.read();
    // 1000 compressed bytes of a 20,000:1 ratio would be ~20 MB; zlib hands out its 16 KB chunks.
    expect(first.value?.length).toBeLessThanOrEqual(64 * 1024);
    await reader.cancel();
    expect(cancelled).toBe(true);
    expect(at).toBeLessThan(gz.length);
  });

  it("fails a corrupt or truncated gzip stream with a data error", async () => {
    const gz = await gzipped("a\nb\nc\n".repeat(1000));
    const truncated = await failure(all(lines(gunzip(chunked(gz.slice(0, gz.length - 12), 50)))));
    expect(truncated.kind).toBe("data");
    expect(truncated.message).toMatch(/gzip data is corrupt or truncated/);
    const garbage = await failure(all(lines(gunzip(chunked(encoder.encode("this is not gzip at all"), 10)))));
    expect(garbage.kind).toBe("data");
  });

  it("passes the source's own retryable error through unchanged", async () => {
    const gz = await gzipped("x\n".repeat(100));
    let sent = false;
    const dropping = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(gz.slice(0, 20));
        } else controller.error(new ConnectorError("retryable", "connection lost"));
      },
    });
    const error = await failure(all(lines(gunzip(dropping))));
    expect(error.kind).toBe("retryable");
    expect(error.message).toBe("connection lost");
  });
});
