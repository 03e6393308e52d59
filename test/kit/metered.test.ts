/** The kit's metered client: every request asks the shared budget first, and slots are released whatever happens. */
import { describe, expect, it } from "vitest";
import type { SharedBudget } from "../../connectors/kit/contract";
import { meteredClient, slotMeter, tokenMeter } from "../../connectors/kit/metered";
import { failure, reply, script, testClient } from "./fake-fetch";

function recordingBudget() {
  const calls: unknown[][] = [];
  let held = 0;
  const budget: SharedBudget = {
    take: async (key, cost, bucket) => void calls.push(["take", key, cost, bucket]),
    observe: async (key, report) => void calls.push(["observe", key, report]),
    slot: async (key, limit) => {
      calls.push(["slot", key, limit, ++held]);
      return { release: async () => void calls.push(["release", key, --held]) };
    },
    pause: async (key, seconds) => void calls.push(["pause", key, seconds]),
  };
  return { budget, calls, held: () => held };
}

describe("meteredClient", () => {
  it("takes a token before each request and reports what the answer says about the bucket, also through extend", async () => {
    const { budget, calls } = recordingBudget();
    const { http, sent } = testClient(script(reply(200, { a: 1 }, { "x-left": "7" }), reply(200, { b: 2 }, { "x-left": "6" })));
    const bucket = { capacity: 3, refillPerSecond: 1 };
    const meter = tokenMeter(budget, "api", bucket, (h) => (h.get("x-left") ? { available: Number(h.get("x-left")) } : undefined));
    const metered = meteredClient(http, meter);
    await metered.request({ url: "https://api.example.com/a" });
    await metered.extend({ defaultHeaders: { "x-extra": "1" } }).request({ url: "https://api.example.com/b" });
    expect(calls).toEqual([
      ["take", "api", 1, bucket],
      ["observe", "api", { available: 7 }],
      ["take", "api", 1, bucket],
      ["observe", "api", { available: 6 }],
    ]);
    expect(sent[1]!.headers["x-extra"]).toBe("1");
  });

  it("hands the meter the headers of a getJson answer (the last attempt's), and still answers the parsed body", async () => {
    const { budget, calls } = recordingBudget();
    const { http, sent } = testClient(script(reply(429, {}, { "retry-after": "0", "x-left": "0" }), reply(200, { items: [1, 2] }, { "x-left": "4" })));
    const bucket = { capacity: 5, refillPerSecond: 1 };
    const meter = tokenMeter(budget, "api", bucket, (h) => (h.get("x-left") ? { available: Number(h.get("x-left")) } : undefined));
    const body = await meteredClient(http, meter).extend({ defaultHeaders: { "x-extra": "1" } }).getJson<{ items: number[] }>({ url: "https://api.example.com/list" });
    expect(body).toEqual({ items: [1, 2] });
    expect(sent.map((request) => [request.method, request.url, request.headers["x-extra"]])).toEqual([
      ["GET", "https://api.example.com/list", "1"],
      ["GET", "https://api.example.com/list", "1"],
    ]);
    expect(calls).toEqual([
      ["take", "api", 1, bucket],
      ["observe", "api", { available: 4 }],
    ]);
  });

  it("holds a slot for each request and releases it when the request fails too; retries inside a request are not metered again", async () => {
    const { budget, calls, held } = recordingBudget();
    const { http, sent } = testClient(script(reply(503), reply(200, {}), reply(401, { message: "no" })));
    const metered = meteredClient(http, slotMeter(budget, "conn", 10));
    await metered.getJson({ url: "https://api.example.com/a" });
    const error = await failure(metered.request({ url: "https://api.example.com/b" }));
    expect(error.kind).toBe("configuration");
    expect(sent).toHaveLength(3);
    expect(calls).toEqual([
      ["slot", "conn", 10, 1],
      ["release", "conn", 0],
      ["slot", "conn", 10, 1],
      ["release", "conn", 0],
    ]);
    expect(held()).toBe(0);
  });
});
