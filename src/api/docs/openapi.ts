/** OpenAPI 3.1 built from the same route declarations (and zod schemas) that validate requests. */
import { z } from "zod";
import { errorBody } from "../common";
import type { Route, RouteSpec } from "../route";

const errorStatuses: Record<number, string> = {
  400: "Invalid request (envelope with details)",
  401: "Missing or invalid credentials",
  403: "Role too low, or key not valid for this workspace",
  404: "Not found (including any resource of another workspace)",
  409: "Conflict",
  413: "Body over 1 MiB",
  415: "Body is not JSON",
  429: "Rate limited; see Retry-After",
};

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
}

function parameters(spec: RouteSpec) {
  const out: Array<Record<string, unknown>> = [];
  const add = (where: "path" | "query", schema?: z.ZodType) => {
    if (!schema) return;
    const props = (jsonSchema(schema, "input").properties ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((jsonSchema(schema, "input").required as string[] | undefined) ?? []);
    for (const [name, s] of Object.entries(props)) out.push({ name, in: where, required: where === "path" || required.has(name), schema: s });
  };
  add("path", spec.params);
  add("query", spec.query);
  if (spec.auth === "workspace") {
    out.push({ name: "X-Workspace-ID", in: "header", required: true, schema: { type: "string", format: "uuid" }, description: "Must equal {id}" });
  }
  return out;
}

export function openApiDocument(routes: Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec } of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = {
        description: r.description,
        content: r.eventStream
          ? { "text/event-stream": { schema: { type: "string" } } }
          : r.schema
            ? { "application/json": { schema: jsonSchema(r.schema, "output") } }
            : undefined,
      };
    }
    for (const [status, description] of Object.entries(errorStatuses)) {
      responses[status] ??= { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    paths[`/api/v1${spec.path}`] ??= {};
    paths[`/api/v1${spec.path}`]![spec.method] = {
      summary: spec.summary,
      description: spec.description,
      tags: [spec.tag],
      operationId: `${spec.method}${spec.path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : ""))}`,
      security: [{ [spec.auth === "admin_token" ? "adminToken" : "apiKey"]: [] }],
      parameters: parameters(spec),
      requestBody: spec.body ? { required: true, content: { "application/json": { schema: jsonSchema(spec.body, "input") } } } : undefined,
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Loaders API",
      version: "1.0.0",
      description: "Inbound ELT: loaders pull data from SaaS APIs and databases into your warehouse (a source) on a schedule.",
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBody, "output") },
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "A workspace API key, sk_live_…" },
        adminToken: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret (bootstrap only)" },
      },
    },
  };
}
