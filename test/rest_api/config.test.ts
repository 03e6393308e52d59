import { describe, expect, it } from "vitest";
import { z } from "zod";
import { restApiConnector } from "../../connectors/rest_api";
import { restApiConfigSchema } from "../../connectors/rest_api/config";
import { context } from "./harness";

/** The config of DESIGN §5, verbatim. */
const DESIGN_EXAMPLE = {
  base_url: "https://api.example.com",
  auth: { type: "bearer", token: "…" },
  headers: { Accept: "application/json" },
  paginator: { type: "page_number", page_param: "page", size_param: "per_page", page_size: 100, total_pages_path: "meta.total_pages" },
  streams: [
    {
      name: "items",
      path: "/api/items",
      params: { status: "all" },
      records_path: "items",
      primary_key: ["id"],
      incremental: { cursor_field: "updated_at", param: "updated_since", lookback_seconds: 0 },
    },
  ],
};

const minimal = { base_url: "https://api.example.com", streams: [{ name: "items", path: "/items" }] };
const withStream = (stream: Record<string, unknown>) => ({ ...minimal, streams: [{ name: "items", path: "/items", ...stream }] });

function issues(input: unknown) {
  const result = restApiConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

describe("config validation", () => {
  it.each([
    ["the DESIGN §5 example", DESIGN_EXAMPLE],
    ["a minimal config (no auth, no paginator)", minimal],
    ["api_key in the query", { ...minimal, auth: { type: "api_key", name: "api_key", in: "query", value: "k" } }],
    ["basic auth with an empty password", { ...minimal, auth: { type: "basic", username: "sk_test_1", password: "" } }],
    ["a draft: bearer without its token", { ...minimal, auth: { type: "bearer" } }],
    ["a draft: api_key without its value", { ...minimal, auth: { type: "api_key", name: "X-Key" } }],
    ["offset with defaults", { ...minimal, paginator: { type: "offset" } }],
    ["cursor with a limit", { ...minimal, paginator: { type: "cursor", cursor_param: "after", cursor_path: "paging.next.after", limit_param: "limit", limit: 50 } }],
    ["next_url", { ...minimal, paginator: { type: "next_url", next_url_path: "links.next" } }],
    ["link_header per stream", withStream({ paginator: { type: "link_header" } })],
    ["page_number starting at 0 without a size param", { ...minimal, paginator: { type: "page_number", start_page: 0 } }],
    ["a single-field primary key as a string", withStream({ primary_key: "id", incremental: { cursor_field: "meta.updated", param: "since" } })],
    ["http base_url (allowed by the schema; the client enforces https in production)", { ...minimal, base_url: "http://127.0.0.1:8788/t/x" }],
  ])("accepts %s", (_name, input) => {
    expect(issues(input)).toEqual([]);
  });

  it("fills the documented defaults", () => {
    const parsed = restApiConfigSchema.parse({
      ...withStream({ primary_key: "id", incremental: { cursor_field: "updated_at", param: "since" } }),
      auth: { type: "api_key", name: "X-Key", value: "v" },
      paginator: { type: "page_number" },
    });
    expect(parsed.auth).toEqual({ type: "api_key", name: "X-Key", in: "header", value: "v" });
    expect(parsed.paginator).toEqual({ type: "page_number", page_param: "page", start_page: 1 });
    expect(parsed.streams[0]?.incremental?.lookback_seconds).toBe(0);
    expect(restApiConfigSchema.parse(minimal).auth).toEqual({ type: "none" });
    expect(restApiConfigSchema.parse({ ...minimal, paginator: { type: "offset" } }).paginator).toEqual({
      type: "offset",
      offset_param: "offset",
      limit_param: "limit",
      limit: 100,
    });
  });

  it.each([
    ["a non-http base_url", { ...minimal, base_url: "ftp://files.example.com" }, "base_url", "base_url must be an absolute http(s) URL"],
    ["a relative base_url", { ...minimal, base_url: "/api" }, "base_url", "base_url must be an absolute http(s) URL"],
    ["no streams", { base_url: "https://a.example.com", streams: [] }, "streams", "declare at least one stream"],
    ["an unknown top-level key", { ...minimal, client: {} }, "", 'Unrecognized key: "client"'],
    ["an unknown auth type", { ...minimal, auth: { type: "oauth2" } }, "auth.type", 'auth.type must be one of "none", "bearer", "api_key", "basic"'],
    ["an api_key sent in a cookie", { ...minimal, auth: { type: "api_key", name: "k", in: "cookie", value: "v" } }, "auth.in", 'auth.in must be "header" or "query"'],
    ["a bearer token that is not a string", { ...minimal, auth: { type: "bearer", token: 12345 } }, "auth.token", "auth.token must be a string"],
    ["an unknown paginator type", { ...minimal, paginator: { type: "auto" } }, "paginator.type", "paginator.type must be one of"],
    ["size_param without page_size", { ...minimal, paginator: { type: "page_number", size_param: "per_page" } }, "paginator.page_size", "page_size is required when size_param is set"],
    ["limit_param without limit", { ...minimal, paginator: { type: "cursor", cursor_param: "c", cursor_path: "n", limit_param: "limit" } }, "paginator.limit", "limit_param and limit go together"],
    ["a cursor paginator without cursor_path", { ...minimal, paginator: { type: "cursor", cursor_param: "c" } }, "paginator.cursor_path", "cursor_path must be a string"],
    ["a page size of 0", { ...minimal, paginator: { type: "offset", limit: 0 } }, "paginator.limit", "limit must be at least 1"],
    ["a stream name with a space", withStream({ name: "my items" }), "streams.0.name", "stream name must be an identifier"],
    ["a path without a leading slash", withStream({ path: "items" }), "streams.0.path", 'path must start with "/"'],
    ["duplicate stream names", { ...minimal, streams: [{ name: "a", path: "/a" }, { name: "a", path: "/b" }] }, "streams.1.name", 'stream name "a" is used twice'],
    ["an empty primary key", withStream({ primary_key: [] }), "streams.0.primary_key", "primary_key must name at least one field"],
    ["incremental without a primary key", withStream({ incremental: { cursor_field: "updated_at", param: "since" } }), "streams.0.primary_key", "incremental streams need a primary_key"],
    ["a negative lookback", withStream({ primary_key: "id", incremental: { cursor_field: "u", param: "s", lookback_seconds: -5 } }), "streams.0.incremental.lookback_seconds", "lookback_seconds must be 0 or more"],
    ["params holding an object", withStream({ params: { filter: { a: 1 } } }), "streams.0.params.filter", "params values must be strings, numbers or booleans"],
    ["a header name with a space", { ...minimal, headers: { "X Bad": "1" } }, "headers.X Bad", "header names may contain only"],
    ["a header value with a line break", { ...minimal, headers: { "X-Ok": "a\r\nInjected: 1" } }, "headers.X-Ok", "header values must not contain line breaks"],
    ["an unknown key in a stream", withStream({ data_selector: "items" }), "streams.0", 'Unrecognized key: "data_selector"'],
  ])("rejects %s", (_name, input, path, message) => {
    const found = issues(input);
    expect(found.length).toBeGreaterThan(0);
    expect(found).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it("never echoes a secret in its messages", () => {
    const found = issues({ ...minimal, auth: { type: "bearer", token: "sk_live_SECRET", extra: 1 }, streams: [] });
    expect(found.length).toBeGreaterThan(0);
    expect(JSON.stringify(found)).not.toContain("sk_live_SECRET");
  });

  it("converts to JSON Schema with its descriptions, for GET /loader-types", () => {
    const schema = JSON.stringify(z.toJSONSchema(restApiConfigSchema, { io: "input" }));
    expect(schema).toContain("API root, e.g. https://api.example.com");
    expect(schema).toContain("Re-read this many seconds before the last cursor");
    expect(schema).toContain('"link_header"');
  });
});

describe("loader type spec", () => {
  it("declares secrets, config-dependent credential sets and a discovered catalog", () => {
    expect(restApiConnector.type).toBe("rest_api");
    expect(restApiConnector.category).toBe("api");
    expect(restApiConnector.auth_method).toBe("configurable");
    expect(restApiConnector.secret_fields).toEqual(["auth.token", "auth.value", "auth.password"]);
    expect(restApiConnector.streams).toMatchObject({ discovered_from_config: true });
    const sets = (auth: unknown) => restApiConnector.credentialSetsFor(restApiConfigSchema.parse({ ...minimal, auth }));
    expect(sets({ type: "none" })).toEqual([[]]);
    expect(sets({ type: "bearer" })).toEqual([["auth.token"]]);
    expect(sets({ type: "api_key", name: "k" })).toEqual([["auth.value"]]);
    expect(sets({ type: "basic", username: "u" })).toEqual([["auth.password"]]);
  });

  it("discovers one stream per declared stream; only incremental ones offer incremental", async () => {
    const cfg = restApiConfigSchema.parse({
      ...DESIGN_EXAMPLE,
      streams: [...DESIGN_EXAMPLE.streams, { name: "tags", path: "/api/tags", primary_key: "slug" }, { name: "events", path: "/api/events" }],
    });
    const expected = [
      { name: "items", primary_key: ["id"], cursor_field: "updated_at", supported_sync_modes: ["full_refresh", "incremental"] },
      { name: "tags", primary_key: ["slug"], cursor_field: null, supported_sync_modes: ["full_refresh"] },
      { name: "events", primary_key: [], cursor_field: null, supported_sync_modes: ["full_refresh"] },
    ];
    expect(await restApiConnector.discover(context().ctx, cfg)).toEqual(expected);
    expect(restApiConnector.streamsFromConfig(cfg)).toEqual(expected);
  });
});
