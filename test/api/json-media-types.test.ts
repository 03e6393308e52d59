/**
 * One rule for JSON bodies (issue 16 item 7): the content-type check and the validators read the same parsed body,
 * so a body is read or refused — a PUT never answers 200 having ignored it.
 */
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, expectError, seedLoaderBody } from "../helpers/api";

describe("JSON media types", () => {
  it("reads every application/json and application/*+json body, with parameters, in any case", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).json;
    const types = [
      "application/json",
      "application/a+b+json",
      "application/merge-patch+json",
      "Application/JSON; charset=UTF-8",
      "application/vnd.api+json;version=2",
      "application/json ; charset=utf-8",
    ];
    for (const [i, type] of types.entries()) {
      const name = `renamed ${i}`;
      const res = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", rawBody: JSON.stringify({ name }), headers: { "content-type": type } });
      expect(res.status, type).toBe(200);
      expect(res.json.name, type).toBe(name);
      expect((await as(owner)(`/loaders/${loader.id}`)).json.name, type).toBe(name);
    }
  });

  it("refuses other types with 415 and changes nothing", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).json;
    for (const type of ["text/json", "application/jsonx", "application/json-seq", "application/+json", "text/plain", "application/xml+json/x"]) {
      const res = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", rawBody: JSON.stringify({ name: "changed" }), headers: { "content-type": type } });
      expectError(res, 415, "unsupported_media_type");
    }
    const missing = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", rawBody: JSON.stringify({ name: "changed" }), headers: {} });
    expectError(missing, 415, "unsupported_media_type");
    expect((await as(owner)(`/loaders/${loader.id}`)).json.name).toBe(loader.name);
  });

  it("validates a +json body like any other: unknown fields are a 400", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).json;
    const res = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", rawBody: JSON.stringify({ bogus: 1 }), headers: { "content-type": "application/a+b+json" } });
    expectError(res, 400, "validation_failed");
    const created = await as(owner)("/loaders", { method: "POST", rawBody: JSON.stringify(seedLoaderBody(sourceId)), headers: { "content-type": "application/a+b+json" } });
    expect(created.status).toBe(201);
  });
});
