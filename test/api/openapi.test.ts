/**
 * The OpenAPI document (issue 15 item 8), checked by a real validator (@apidevtools/swagger-parser) with zero errors,
 * plus what the validator cannot know: every route has a named operationId and a tag, every loader type's config is
 * under components and reached from createLoader's discriminated oneOf, servers name a real base URL, /health
 * answers without credentials, and /docs shows authentication, a getting-started section and response schemas.
 */
// swagger-parser's schema validator (Ajv over the official OpenAPI 3.1 schema), which is what its `validate` runs for
// a 3.1 document (its spec validator covers Swagger 2 only): the entry point's file/URL resolver needs Node classes
// workerd lacks, and this document has only local `#/components/...` references.
// @ts-expect-error: no type declarations for the library's internals
import validateSchema from "@apidevtools/swagger-parser/lib/validators/schema";
import { describe, expect, it } from "vitest";
import { listLoaderTypes } from "../../connectors/registry";
import { call } from "../helpers/api";

const METHODS = ["get", "post", "put", "delete"];

describe("OpenAPI document", () => {
  it("is valid OpenAPI 3.1 for a real validator", async () => {
    const doc = (await call("/api/v1/openapi.json")).json;
    expect(() => validateSchema(structuredClone(doc))).not.toThrow();
    // The validator does fail: a parameter in a place OpenAPI has not, a response without its description.
    const broken = structuredClone(doc);
    broken.paths["/api/v1/workspaces/{id}/loaders"].get.parameters[0].in = "body";
    expect(() => validateSchema(broken)).toThrow();
    const undescribed = structuredClone(doc);
    delete undescribed.paths["/health"].get.responses["200"].description;
    expect(() => validateSchema(undescribed)).toThrow();
  });

  it("names every operation, tags it, declares the tags, and points servers at the deployment", async () => {
    const doc = (await call("/api/v1/openapi.json")).json;
    const ops = Object.entries(doc.paths).flatMap(([path, methods]: [string, any]) =>
      Object.entries(methods).filter(([m]) => METHODS.includes(m)).map(([method, op]: [string, any]) => ({ path, method, op })),
    );
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]+$/);
    expect(ids).toEqual(expect.arrayContaining(["listLoaders", "createLoader", "triggerRun", "getRun", "cancelRun", "checkNewLoader", "previewLoader", "resetStream", "getHealth", "recoverOwnerKey"]));
    const declared = doc.tags.map((t: any) => t.name);
    for (const { op } of ops) expect(declared).toContain(op.tags[0]);
    for (const tag of doc.tags) expect(tag.description).toBeTruthy();
    expect(doc.servers).toEqual([{ url: "http://loaders.test", description: expect.any(String) }]);
    // Every success response that answers JSON says what it answers.
    for (const { path, method, op } of ops) {
      const [code, success] = Object.entries(op.responses).find(([c]) => c.startsWith("2")) as [string, any];
      if (!success.content?.["text/event-stream"]) expect(success.content?.["application/json"]?.schema, `${method} ${path} ${code}`).toBeTruthy();
    }
  });

  it("carries an example for every JSON request and response, the curated ones where declared", async () => {
    const doc = (await call("/api/v1/openapi.json")).json;
    for (const [path, methods] of Object.entries(doc.paths) as Array<[string, any]>) {
      for (const [method, op] of Object.entries(methods) as Array<[string, any]>) {
        const body = op.requestBody?.content?.["application/json"];
        if (body) expect(body.example, `${method} ${path} request`).toBeDefined();
        for (const [code, response] of Object.entries(op.responses) as Array<[string, any]>) {
          const json = response.content?.["application/json"];
          if (json) expect(json.example, `${method} ${path} ${code}`).toBeDefined();
        }
      }
    }
    const loaders = doc.paths["/api/v1/workspaces/{id}/loaders"];
    expect(loaders.post.requestBody.content["application/json"].example).toMatchObject({ loader_type: "salesforce", target_schema: "SALESFORCE_RAW" });
    expect(loaders.post.responses["201"].content["application/json"].example).toMatchObject({ status: "draft", name: "Salesforce CRM Loader" });
    expect(loaders.get.responses["200"].content["application/json"].example).toEqual([expect.objectContaining({ name: "Salesforce CRM Loader" })]);
    expect(loaders.post.responses["400"].content["application/json"].example).toMatchObject({ code: "validation_failed" });
  });

  it("puts each loader type's config schema under components, reached from createLoader by loader_type", async () => {
    const doc = (await call("/api/v1/openapi.json")).json;
    const variants = doc.paths["/api/v1/workspaces/{id}/loaders"].post.requestBody.content["application/json"].schema.allOf[1].oneOf;
    const types = listLoaderTypes().map((t) => t.type);
    expect(variants.map((v: any) => v.properties.loader_type.const)).toEqual(types);
    for (const variant of variants) {
      const name = variant.properties.config.$ref.replace("#/components/schemas/", "");
      expect(doc.components.schemas[name], name).toMatchObject({ type: "object" });
    }
    expect(doc.components.schemas.LoaderConfig_rest_api.properties).toHaveProperty("base_url");
  });
});

describe("health and docs", () => {
  it("answers /health without credentials", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: "ok", database: "ok" });
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("shows authentication, getting started and response schemas on /docs", async () => {
    const res = await call("/docs");
    expect(res.text).toContain("<b>Authentication.</b>");
    expect(res.text).toContain("<b>Getting started.</b>");
    expect(res.text).toContain("Response 201 schema");
    expect(res.text).toContain("<code>X-Workspace-ID</code>");
  });
});
