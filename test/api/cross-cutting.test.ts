import { describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, as, bootstrapWorkspace, call, createD1Source, expectError, pgConfig, seedLoaderBody } from "../helpers/api";

describe("rate limit", () => {
  it("answers the 21st request within a second with 429 and Retry-After", async () => {
    const owner = await bootstrapWorkspace();
    const results = await Promise.all(Array.from({ length: 21 }, () => as(owner)("/loaders")));
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    expect(limited).toHaveLength(1);
    expectError(limited[0]!, 429, "rate_limited");
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another workspace has its own budget.
    const other = await bootstrapWorkspace("Other");
    expect((await as(other)("/loaders")).status).toBe(200);
  });
});

describe("secrets", () => {
  it("never appear in a response body or a log line", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    const spies = [vi.spyOn(console, "log").mockImplementation(capture), vi.spyOn(console, "warn").mockImplementation(capture), vi.spyOn(console, "error").mockImplementation(capture)];
    try {
      const owner = await bootstrapWorkspace();
      const api = as(owner);
      const secrets = ["sf-secret-AAA111", "sf-refresh-BBB222", "pg-password-CCC333"];
      const sourceId = await createD1Source(owner);
      const pg = await api("/sources", { method: "POST", body: { name: "pg", source_type: "postgresql", config: { ...pgConfig(), password: secrets[2] } } });
      const bodies: string[] = [pg.text];
      const loader = await api("/loaders", {
        method: "POST",
        body: { ...seedLoaderBody(sourceId), config: { instance_url: "https://x.salesforce.com", client_id: "cid", client_secret: secrets[0], refresh_token: secrets[1] } },
      });
      bodies.push(loader.text);
      bodies.push((await api(`/loaders/${loader.json.id}`)).text);
      bodies.push((await api("/loaders")).text);
      bodies.push((await api(`/loaders/${loader.json.id}`, { method: "PUT", body: { config: { instance_url: "https://y.salesforce.com" } } })).text);
      bodies.push((await api(`/sources/${pg.json.id}`)).text);
      bodies.push((await api("/sources")).text);
      // A bad config echoes no value back either.
      bodies.push((await api("/loaders", { method: "POST", body: { ...seedLoaderBody(sourceId), config: { instance_url: secrets[0] } } })).text);
      expect(lines.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        for (const body of bodies) expect(body).not.toContain(secret);
        for (const line of lines) expect(line).not.toContain(secret);
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe("request ids, logs and errors", () => {
  it("puts the request id in the header and the error body, and honours a caller's id", async () => {
    const res = await call("/api/v1/workspaces", { headers: { "x-request-id": "trace-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    expect(res.json.request_id).toBe("trace-123");
  });
});

describe("OpenAPI and docs", () => {
  it("serves an OpenAPI 3.1 document covering every endpoint of the seed", async () => {
    const res = await call("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");
    const ops = Object.entries(res.json.paths).flatMap(([path, methods]: [string, any]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    for (const op of [
      "GET /api/v1/workspaces/{id}/loaders",
      "POST /api/v1/workspaces/{id}/loaders",
      "GET /api/v1/workspaces/{id}/loaders/{loaderId}",
      "PUT /api/v1/workspaces/{id}/loaders/{loaderId}",
      "DELETE /api/v1/workspaces/{id}/loaders/{loaderId}",
      "POST /api/v1/workspaces/{id}/loaders/{loaderId}/trigger",
      "GET /api/v1/workspaces/{id}/loaders/{loaderId}/runs",
      "GET /api/v1/workspaces/{id}/loaders/{loaderId}/runs/{runId}",
      "GET /api/v1/workspaces/{id}/loader-types",
      "POST /api/v1/workspaces/{id}/loaders/{loaderId}/runs/{runId}/cancel",
      "POST /api/v1/workspaces/{id}/sources/test",
      "POST /api/v1/workspaces",
    ]) {
      expect(ops).toContain(op);
    }
    const create = res.json.paths["/api/v1/workspaces/{id}/loaders"].post;
    expect(create.requestBody.content["application/json"].schema.allOf[0].required).toEqual(
      expect.arrayContaining(["name", "loader_type", "source_id", "config", "target_schema", "selected_streams", "sync_mode"]),
    );
    expect(create.responses["201"].content["application/json"].schema.properties).toHaveProperty("last_run_id");
  });

  it("serves a readable reference page", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.text).toContain("/api/v1/workspaces/{id}/loaders/{loaderId}/trigger");
  });

  it("keeps the admin token out of the list of accepted bearer tokens for workspace routes", async () => {
    const owner = await bootstrapWorkspace();
    expectError(await call(`/api/v1/workspaces/${owner.workspaceId}/loaders`, { key: ADMIN_TOKEN, workspace: owner.workspaceId }), 401, "unauthorized");
  });
});
