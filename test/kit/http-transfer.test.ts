/** The kit client's transfer counter (the engine's usage figures): every attempt and hop, and the bytes of every body. */
import { describe, expect, it } from "vitest";
import { type TransferUsage, createHttpClient } from "../../connectors/kit/http";

function scripted(answers: Array<() => Response>): typeof fetch {
  let index = 0;
  return async () => answers[Math.min(index++, answers.length - 1)]!();
}

describe("http client transfer counting", () => {
  it("counts retried attempts, redirect hops and buffered and streamed body bytes, shared by derived clients", async () => {
    const transfer: TransferUsage = { requests: 0, bytesReceived: 0 };
    const body = JSON.stringify({ items: [1, 2, 3] });
    const http = createHttpClient({
      development: false,
      transfer,
      sleep: async () => {},
      fetch: scripted([
        () => new Response("busy", { status: 503, headers: { "retry-after": "0" } }),
        () => new Response(null, { status: 302, headers: { location: "https://api.example.com/b" } }),
        () => new Response(body, { status: 200 }),
        () => new Response("0123456789", { status: 200 }),
      ]),
    });
    expect(await http.getJson({ url: "https://api.example.com/a" })).toEqual({ items: [1, 2, 3] });
    // The 503, the redirect and the answer: three requests, and the bytes of both bodies that had one.
    expect(transfer).toEqual({ requests: 3, bytesReceived: 4 + new TextEncoder().encode(body).byteLength });

    const streamed = await http.extend({ defaultHeaders: { "x-a": "1" } }).stream({ url: "https://api.example.com/file" });
    await new Response(streamed.body).arrayBuffer();
    expect(transfer).toEqual({ requests: 4, bytesReceived: 4 + body.length + 10 });
  });
});
