/**
 * The kit's http client over workerd's real fetch and a socket, against the kit fake (test/fakes/kit/server.ts):
 * raw query values on the wire byte for byte, wildcard HOST_OVERRIDES with X-Forwarded-Host, and a large body
 * streamed with backpressure and resumed with Range.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hostOverridesFromJson } from "../../connectors/kit/host-policy";
import { createHttpClient } from "../../connectors/kit/http";
import { lines } from "../../connectors/kit/streams";
import { generatedLine, LINE_BYTES } from "../fakes/kit/server";
import { failure } from "./fake-fetch";

const vars = env as unknown as { HOST_OVERRIDES: string };

function client() {
  return createHttpClient({ development: true, hostOverrides: hostOverridesFromJson(vars.HOST_OVERRIDES) });
}

interface Echo {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: string;
  addressedHost: string;
}

describe("raw query values", () => {
  it("reach the server byte for byte, after the encoded query", async () => {
    const http = client();
    const echo = await http.getJson<Echo>({
      url: "https://transport.kit.example/rest/adAnalytics",
      query: { q: "analytics", pivot: "CAMPAIGN", note: "a b&c" },
      rawQuery: {
        accounts: "List(urn%3Ali%3AsponsoredAccount%3A502840441,urn%3Ali%3AsponsoredAccount%3A502840442)",
        dateRange: "(start:(year:2024,month:1,day:1),end:(year:2024,month:1,day:31))",
        fields: "impressions,clicks,dateRange",
      },
    });
    expect(echo.target).toBe(
      "/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&note=a+b%26c" +
        "&accounts=List(urn%3Ali%3AsponsoredAccount%3A502840441,urn%3Ali%3AsponsoredAccount%3A502840442)" +
        "&dateRange=(start:(year:2024,month:1,day:1),end:(year:2024,month:1,day:31))" +
        "&fields=impressions,clicks,dateRange",
    );
  });
});

describe("wildcard overrides", () => {
  it("send every subdomain to the one fake, which learns the production host from X-Forwarded-Host", async () => {
    const http = client();
    const shop1 = await http.getJson<Echo>({ url: "https://shop1.tenants.kit.example/admin/api/graphql.json" });
    const deep = await http.getJson<Echo>({ url: "https://eu.bucket-2.tenants.kit.example/key.csv" });
    expect([shop1.addressedHost, shop1.target]).toEqual(["shop1.tenants.kit.example", "/admin/api/graphql.json"]);
    expect(deep.addressedHost).toBe("eu.bucket-2.tenants.kit.example");
    expect(shop1.headers["x-forwarded-host"]).toBe("shop1.tenants.kit.example");
    expect(shop1.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe("a large body over the network", () => {
  it("is pulled as it is read: after the first lines the server has written a small part of it", async () => {
    const http = client();
    const total = 200_000_000;
    const result = await http.stream({ url: "https://transport.kit.example/generate", query: { bytes: total, id: "backpressure" } });
    expect(result.status).toBe(200);
    expect(result.headers.get("content-length")).toBe(String(total));
    let seen = 0;
    for await (const line of lines(result.body)) {
      expect(`${line.text}\n`).toBe(generatedLine(line.line));
      if (++seen === 2000) break;
    }
    const progress = await http.getJson<{ written: number; total: number; finished: boolean }>({
      url: "https://transport.kit.example/progress",
      query: { id: "backpressure" },
    });
    // The socket buffers of both sides hold a few MB; a client that read ahead would have taken all 200 MB.
    expect(progress.finished).toBe(false);
    expect(progress.written).toBeLessThan(total / 10);
  });

  it("resumes from a byte offset with a Range request answered 206", async () => {
    const http = client();
    const after = { byteEnd: 10 * LINE_BYTES, line: 10 };
    const result = await http.stream({
      url: "https://transport.kit.example/generate",
      query: { bytes: 30 * LINE_BYTES, id: "range" },
      headers: { Range: `bytes=${after.byteEnd}-` },
    });
    expect(result.status).toBe(206);
    expect(result.headers.get("content-range")).toBe(`bytes 1000-2999/3000`);
    const read = [];
    for await (const line of lines(result.body, { after })) read.push(line);
    expect(read.map((l) => l.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    expect(read.at(-1)?.byteEnd).toBe(30 * LINE_BYTES);
    expect(`${read[0]?.text}\n`).toBe(generatedLine(11));
  });

  it("classifies a refused Range from the error body, as request does", async () => {
    const error = await failure(client().stream({ url: "https://transport.kit.example/generate", query: { bytes: 500, id: "past-end" }, headers: { Range: "bytes=500-" } }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe("transport.kit.example rejected the request to /generate (HTTP 416): <Error><Code>InvalidRange</Code></Error>");
  });
});
