/**
 * `applyPatch` with a JSON body: paginators of APIs that page in a POST body (HubSpot search) replace the body per
 * page, and the rest of the request (method, URL, query, headers) stays the stream's.
 */
import { describe, expect, it } from "vitest";
import type { HttpRequest } from "../../connectors/kit/http";
import { applyPatch } from "../../connectors/kit/paginators";

const base: HttpRequest = { method: "POST", url: "/search", query: { a: 1 }, headers: { "x-k": "v" }, json: { page: 0, filter: "f" } };

describe("applyPatch json", () => {
  it("replaces the body whole and keeps method, url, query and headers", () => {
    expect(applyPatch(base, { json: { page: 1 } })).toEqual({ method: "POST", url: "/search", query: { a: 1 }, headers: { "x-k": "v" }, json: { page: 1 } });
  });

  it("combines with a query patch, and with a URL patch (which drops the base query)", () => {
    expect(applyPatch(base, { json: { page: 2 }, query: { b: 2 } })).toEqual({ ...base, query: { a: 1, b: 2 }, json: { page: 2 } });
    expect(applyPatch(base, { json: { page: 3 }, url: "https://api.example.com/next" })).toEqual({
      method: "POST",
      url: "https://api.example.com/next",
      headers: { "x-k": "v" },
      json: { page: 3 },
    });
  });

  it("leaves the body alone when the patch has none, and does not mutate the base request", () => {
    expect(applyPatch(base, { query: { b: 2 } }).json).toEqual({ page: 0, filter: "f" });
    expect(base).toEqual({ method: "POST", url: "/search", query: { a: 1 }, headers: { "x-k": "v" }, json: { page: 0, filter: "f" } });
  });
});
