/**
 * HttpClient.stream and binary bodies over an injected fetch: a 2xx body handed back unread and pulled on demand,
 * failures classified and retried exactly like `request`, Range answers, and a 200 MB body read in bounded memory.
 */
import { describe, expect, it } from "vitest";
import { ConnectorError } from "../../connectors/kit/errors";
import { lines } from "../../connectors/kit/streams";
import { failure, hang, reply, script, testClient, type Handler } from "./fake-fetch";

const API = "https://files.example.com";
const encoder = new TextEncoder();

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

/** A body that counts how often it was pulled, made of `parts`. */
function countedBody(parts: string[]) {
  const counter = { pulls: 0 };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const part = parts[counter.pulls++];
        if (part === undefined) controller.close();
        else controller.enqueue(encoder.encode(part));
      },
    },
    { highWaterMark: 0 },
  );
  return { body, counter };
}

describe("stream", () => {
  it("hands back a 2xx body unread, with status, headers and the logical URL", async () => {
    const { body, counter } = countedBody(["a\n", "b\n", "c"]);
    const { http, sent } = testClient(() => new Response(body, { headers: { etag: '"e1"', "content-type": "text/csv" } }), {
      hostOverrides: { "files.example.com": "http://127.0.0.1:1" },
    });
    const result = await http.stream({ url: `${API}/data.csv` });
    expect(result.status).toBe(200);
    expect(result.headers.get("etag")).toBe('"e1"');
    expect(result.url).toBe(`${API}/data.csv`);
    expect(sent[0]?.url).toBe("http://127.0.0.1:1/data.csv");
    // Nothing beyond what the runtime itself may prefetch has been read before the caller asks.
    expect(counter.pulls).toBeLessThanOrEqual(1);
    expect(await readAll(result.body)).toBe("a\nb\nc");
    expect(counter.pulls).toBe(4);
  });

  it("retries a failure exactly like request, honouring Retry-After, and reads the error body to classify it", async () => {
    const { http, sent, sleeps } = testClient(
      script(
        reply(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>", { "retry-after": "2" }),
        () => new Response("payload"),
      ),
    );
    const result = await http.stream({ url: `${API}/obj` });
    expect(await readAll(result.body)).toBe("payload");
    expect(sleeps).toEqual([2000]);
    expect(sent).toHaveLength(2);

    const missing = testClient(reply(404, { message: "The specified key does not exist." }));
    const error = await failure(missing.http.stream({ url: `${API}/gone` }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe("not found: files.example.com/gone (HTTP 404): The specified key does not exist.");
  });

  it("sends a Range header and treats 206 as success", async () => {
    const file = "0123456789abcdefghij";
    const ranged: Handler = (request) => {
      const match = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
      if (!match) return new Response(file);
      const start = Number(match[1]);
      const end = match[2] ? Number(match[2]) + 1 : file.length;
      return new Response(file.slice(start, end), { status: 206, headers: { "content-range": `bytes ${start}-${end - 1}/${file.length}` } });
    };
    const { http, sent } = testClient(ranged);
    const tail = await http.stream({ url: `${API}/f`, headers: { Range: "bytes=12-" } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe("bytes 12-19/20");
    expect(await readAll(tail.body)).toBe("cdefghij");
    const middle = await http.request({ url: `${API}/f`, headers: { Range: "bytes=3-5" } });
    expect(middle.status).toBe(206);
    expect(middle.text()).toBe("345");
    expect(sent.map((r) => r.headers.range)).toEqual(["bytes=12-", "bytes=3-5"]);
  });

  it("errors the body with a retryable error when it stalls longer than the timeout", async () => {
    let sentFirst = false;
    const stalling = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sentFirst) {
          sentFirst = true;
          controller.enqueue(encoder.encode("first line\n"));
        }
        return new Promise(() => {});
      },
    });
    const { http } = testClient(() => new Response(stalling), { timeoutMs: 30 });
    const result = await http.stream({ url: `${API}/slow` });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const line of lines(result.body)) seen.push(line.text);
      })(),
    );
    expect(seen).toEqual(["first line"]);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.kind).toBe("retryable");
    expect(error.message).toBe("the body from files.example.com/slow stalled for 0.03 s");
  });

  it("turns a dropped connection mid-body into a retryable error, and stops at cancellation", async () => {
    let pulls = 0;
    const dropping = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(encoder.encode("partial"));
        else controller.error(new TypeError("Network connection lost."));
      },
    });
    const { http } = testClient(() => new Response(dropping));
    const dropped = await failure(readAll((await http.stream({ url: `${API}/d` })).body));
    expect(dropped.kind).toBe("retryable");
    expect(dropped.message).toMatch(/^connection to files\.example\.com\/d lost while reading the body/);

    const controller = new AbortController();
    const endless = new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(encoder.encode("x\n")) });
    const cancelled = testClient(() => new Response(endless), { signal: controller.signal });
    const result = await cancelled.http.stream({ url: `${API}/e` });
    const error = await failure(
      (async () => {
        for await (const line of lines(result.body)) if (line.line === 10) controller.abort();
      })(),
    );
    expect(error.kind).toBe("retryable");
    expect(error.message).toBe("request to files.example.com/e cancelled");
  });

  it("answers an empty stream for a 2xx without a body (HEAD, 204)", async () => {
    const { http, sent } = testClient(() => new Response(null, { status: 200, headers: { "content-length": "1234", etag: '"x"' } }));
    const head = await http.stream({ method: "HEAD", url: `${API}/obj` });
    expect([head.status, head.headers.get("content-length"), await readAll(head.body)]).toEqual([200, "1234", ""]);
    expect(sent[0]?.method).toBe("HEAD");
  });

  it("times out waiting for the headers like request does", async () => {
    const { http, sent } = testClient(script(hang, () => new Response("ok")), { timeoutMs: 20 });
    expect(await readAll((await http.stream({ url: `${API}/h` })).body)).toBe("ok");
    expect(sent).toHaveLength(2);
  });
});

describe("binary bodies", () => {
  it("answers the exact bytes, which text() would have mangled", async () => {
    const binary = new Uint8Array([0x50, 0x41, 0x52, 0x31, 0xff, 0xfe, 0x00, 0x80, 0xc3]);
    const { http } = testClient(() => new Response(binary, { headers: { "content-type": "application/octet-stream" } }));
    const result = await http.request({ url: `${API}/file.parquet` });
    expect([...result.bytes()]).toEqual([...binary]);
    expect(result.text()).toContain("\uFFFD");
  });

  it("sends a binary request body as given", async () => {
    let received: ArrayBuffer | undefined;
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      received = await new Response(init?.body).arrayBuffer();
      return new Response("{}");
    }) as typeof globalThis.fetch;
    const { http } = testClient(reply(200), { fetch });
    await http.request({ method: "PUT", url: `${API}/up`, body: new Uint8Array([1, 2, 255]) });
    expect([...new Uint8Array(received!)]).toEqual([1, 2, 255]);
  });
});

describe("a 200 MB streamed body", () => {
  it("is read line by line with bounded memory: the reader sees lines long before the producer has made the body", async () => {
    const TOTAL = 200_000_000;
    const LINE = 100;
    const CHUNK = 64_000;
    const template = encoder.encode(Array.from({ length: CHUNK / LINE }, () => `${"r".repeat(LINE - 1)}\n`).join(""));
    let produced = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced >= TOTAL) return controller.close();
          produced += CHUNK;
          controller.enqueue(template.slice());
        },
      },
      { highWaterMark: 0 },
    );
    const { http } = testClient(() => new Response(body, { headers: { "content-length": String(TOTAL) } }));
    const result = await http.stream({ url: `${API}/huge.jsonl` });

    let count = 0;
    let last = 0;
    let maxAhead = 0;
    let producedAtFirstLine = -1;
    for await (const line of lines(result.body)) {
      count++;
      if (count === 1) producedAtFirstLine = produced;
      // Bytes the producer has made that the reader has not consumed yet: what sits in buffers between them.
      if ((count & 1023) === 0) maxAhead = Math.max(maxAhead, produced - line.byteEnd);
      last = line.byteEnd;
      if (line.text.length !== LINE - 1) throw new Error(`line ${line.line} has ${line.text.length} characters`);
    }
    expect(count).toBe(TOTAL / LINE);
    expect(last).toBe(TOTAL);
    expect(producedAtFirstLine).toBeGreaterThan(0);
    expect(producedAtFirstLine).toBeLessThanOrEqual(4 * CHUNK);
    // A client that buffered the body would show ~200 MB here; the pipe holds a few chunks at most.
    expect(maxAhead).toBeLessThan(1_000_000);
  });
});
