/** OpenAPI 3.1 built from the same route declarations (and zod schemas) that validate requests. */
import { z } from "zod";
import { errorBody } from "../common";
import { listLoaderTypes } from "../../../connectors/registry";
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

const SAMPLE_UUID = "7f3c2a10-5d4e-4b8a-9c1f-2e6d8a4b0c11";

/**
 * An example for a schema: the one a schema declares (`.meta({ examples })`, the curated story in ../examples.ts),
 * else one built from its parts, so every request and response in the document carries one.
 */
function sample(schema: Record<string, any> | undefined, components: Record<string, any>, depth = 0): unknown {
  if (!schema || depth > 12) return null;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.$ref) return sample(components[String(schema.$ref).replace("#/components/schemas/", "")], components, depth + 1);
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) return sample(alternatives.find((a: any) => a.type !== "null") ?? alternatives[0], components, depth + 1);
  if (Array.isArray(schema.allOf)) {
    if (Array.isArray(schema.allOf[0]?.examples) && schema.allOf[0].examples.length > 0) return schema.allOf[0].examples[0];
    const parts = schema.allOf.map((part: any) => sample(part, components, depth + 1));
    return parts.every((part: unknown) => part && typeof part === "object" && !Array.isArray(part)) ? Object.assign({}, ...parts) : parts[0];
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries((schema.properties ?? {}) as Record<string, any>).map(([key, value]) => [key, sample(value, components, depth + 1)]));
    case "array":
      return [sample(schema.items, components, depth + 1)];
    case "string":
      return schema.format === "uuid" ? SAMPLE_UUID : schema.format === "date-time" ? "2026-01-15T10:30:00Z" : schema.format === "uri" ? "https://hooks.example.com/loaders" : "string";
    case "integer":
    case "number":
      return schema.minimum ?? 0;
    case "boolean":
      return false;
    default:
      return null;
  }
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

/**
 * A loader's config depends on its loader_type: the create body is the shared fields plus one alternative per type,
 * each naming its type and referencing that type's config schema under components (a discriminated oneOf).
 */
function requestSchema(spec: RouteSpec): Record<string, unknown> {
  const schema = jsonSchema(spec.body!, "input");
  if (spec.operationId !== "createLoader") return schema;
  return {
    allOf: [
      schema,
      {
        oneOf: listLoaderTypes().map((type) => ({
          type: "object",
          properties: { loader_type: { const: type.type }, config: { $ref: `#/components/schemas/${configSchemaName(type.type)}` } },
          required: ["loader_type", "config"],
        })),
      },
    ],
  };
}

const configSchemaName = (type: string) => `LoaderConfig_${type}`;

function loaderConfigSchemas(): Record<string, unknown> {
  return Object.fromEntries(
    listLoaderTypes().map((type) => {
      const { $schema: _dialect, ...schema } = jsonSchema(type.config, "input");
      return [configSchemaName(type.type), { ...schema, title: `${type.title} config`, description: `config of a ${type.type} loader; secret fields: ${type.secret_fields.join(", ") || "none"}` }];
    }),
  );
}

const TAGS = [
  { name: "Service", description: "Health of the deployment." },
  { name: "Workspaces", description: "Bootstrap with the ADMIN_TOKEN: a workspace and its first owner key." },
  { name: "API keys", description: "Keys of a workspace, by role (owner, admin, member); the ADMIN_TOKEN recovers an owner key." },
  { name: "Sources", description: "The warehouses loaders write into (D1, PostgreSQL, Snowflake, BigQuery, Databricks)." },
  { name: "Loaders", description: "What to read, from where, into which schema, on which schedule; check, discover and preview before saving." },
  { name: "Runs", description: "Executions of a loader: live counters per stream, cancellation." },
  { name: "Loader types", description: "Every source type with its config schema, secrets and stream catalog." },
  { name: "Webhooks", description: "Signed notifications of run and loader events, retried for a day, with a delivery log." },
  { name: "Usage", description: "What runs cost: requests, pages, rows, queue messages, Durable Object calls, chunk time, and the estimate in USD." },
];

const GETTING_STARTED = `Inbound ELT: loaders pull data from SaaS APIs and databases into your warehouse (a *source*) on a schedule.

**Authentication.** Every workspace route takes \`Authorization: Bearer sk_live_…\` (an API key of the workspace) and
\`X-Workspace-ID\` equal to the \`{id}\` in the path. Keys have a role: \`member\` reads and triggers, \`admin\` and
\`owner\` also create, update and delete. \`POST /api/v1/workspaces\` and \`POST …/owner-keys\` take the operator's
ADMIN_TOKEN instead.

**Getting started.**
1. \`POST /api/v1/workspaces\` with the ADMIN_TOKEN: the answer holds the workspace and its owner key (shown once).
2. \`POST …/sources\` \`{"name": "Warehouse", "source_type": "d1"}\` (or a PostgreSQL, Snowflake, BigQuery or Databricks config), then \`POST …/sources/{sourceId}/test\`.
3. \`GET …/loader-types\` for the config each type takes; \`POST …/loaders/check\` and \`POST …/loaders/discover\` to try a config.
4. \`POST …/loaders\`, then \`POST …/loaders/{loaderId}/trigger\` and follow \`GET …/loaders/{loaderId}/runs/{runId}\`.

**Errors** are \`{"error", "code", "request_id", "details"?}\`; bad input is always a 4xx and writes nothing.`;

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
    if (spec.auth === "public") {
      for (const status of ["401", "403", "404", "409", "413", "415", "429"]) delete responses[status];
      delete responses["400"];
    }
    const path = `${spec.root ? "" : "/api/v1"}${spec.path}`;
    paths[path] ??= {};
    paths[path]![spec.method] = {
      summary: spec.summary,
      description: spec.description,
      tags: [spec.tag],
      operationId: spec.operationId,
      security: spec.auth === "public" ? [] : spec.auth === "key_or_admin_token" ? [{ apiKey: [] }, { adminToken: [] }] : [{ [spec.auth === "admin_token" ? "adminToken" : "apiKey"]: [] }],
      parameters: parameters(spec),
      requestBody: spec.body ? { required: true, content: { "application/json": { schema: requestSchema(spec) } } } : undefined,
      responses,
    };
  }
  // Every JSON request and response carries an example (declared, or built from its schema).
  const schemas = { Error: jsonSchema(errorBody, "output"), ...loaderConfigSchemas() } as Record<string, any>;
  for (const methods of Object.values(paths)) {
    for (const op of Object.values(methods) as Array<Record<string, any>>) {
      const media = [op.requestBody?.content?.["application/json"], ...Object.values(op.responses ?? {}).map((r: any) => r.content?.["application/json"])];
      for (const m of media) if (m?.schema && m.example === undefined) m.example = sample(m.schema, schemas);
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Loaders API",
      version: "1.0.0",
      description: GETTING_STARTED,
    },
    servers: [{ url: "http://127.0.0.1:8787", description: "npm start (the served document names the origin it was fetched from)" }],
    tags: TAGS,
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "A workspace API key, sk_live_…" },
        adminToken: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret (bootstrap only)" },
      },
    },
  };
}
