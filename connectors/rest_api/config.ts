/**
 * The `rest_api` config: a user-facing contract (DESIGN §5), so field names follow it exactly. Secrets are optional
 * in the schema (a loader may be saved as a draft before its credentials arrive); `credentialSetsFor` says which
 * secret the chosen auth type needs.
 */
import { z } from "zod";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
// RFC 9110 §5.6.2 token characters: what a header name may contain.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const nonEmpty = (what: string) => z.string({ error: `${what} must be a string` }).min(1, { error: `${what} must not be empty` });
const param = (what: string, fallback: string) => nonEmpty(what).default(fallback).describe(`${what} (default "${fallback}")`);
const dotPath = (what: string) => nonEmpty(what).describe(`${what}: a dot path into the JSON body, e.g. "meta.total_pages"`);
const positiveInt = (what: string) =>
  z.int({ error: `${what} must be a whole number` }).min(1, { error: `${what} must be at least 1` }).max(10_000, { error: `${what} must be at most 10000` });

const authSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("none") }).describe("No authentication"),
    z
      .strictObject({
        type: z.literal("bearer"),
        token: nonEmpty("auth.token").optional().describe("Sent as `Authorization: Bearer <token>` (secret)"),
      })
      .describe("Bearer token"),
    z
      .strictObject({
        type: z.literal("api_key"),
        name: nonEmpty("auth.name").describe("Header or query parameter name, e.g. X-API-Key or api_key"),
        in: z.enum(["header", "query"], { error: 'auth.in must be "header" or "query"' }).default("header").describe("Where the key is sent"),
        value: nonEmpty("auth.value").optional().describe("The API key (secret)"),
      })
      .describe("API key in a header or query parameter"),
    z
      .strictObject({
        type: z.literal("basic"),
        username: z.string({ error: "auth.username must be a string" }).describe("HTTP Basic user name"),
        password: z.string({ error: "auth.password must be a string" }).optional().describe("HTTP Basic password (secret)"),
      })
      .describe("HTTP Basic authentication"),
  ],
  { error: 'auth.type must be one of "none", "bearer", "api_key", "basic"' },
);

const paginatorSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("none") }).describe("One request, no paging"),
    z
      .strictObject({
        type: z.literal("page_number"),
        page_param: param("page_param", "page"),
        size_param: nonEmpty("size_param").optional().describe("Query parameter for the page size; needs page_size"),
        page_size: positiveInt("page_size").optional().describe("Records per page; a shorter page ends the stream unless total_pages_path is set"),
        start_page: z.int({ error: "start_page must be a whole number" }).min(0, { error: "start_page must be 0 or more" }).default(1).describe("Number of the first page (default 1)"),
        total_pages_path: dotPath("total_pages_path").optional(),
      })
      .refine((p) => p.size_param === undefined || p.page_size !== undefined, { error: "page_size is required when size_param is set", path: ["page_size"] })
      .describe("Page number in the query: ?page=1&per_page=100"),
    z
      .strictObject({
        type: z.literal("offset"),
        offset_param: param("offset_param", "offset"),
        limit_param: param("limit_param", "limit"),
        limit: positiveInt("limit").default(100).describe("Records per request (default 100); a shorter page ends the stream"),
      })
      .describe("Offset and limit in the query: ?offset=0&limit=100"),
    z
      .strictObject({
        type: z.literal("cursor"),
        cursor_param: nonEmpty("cursor_param").describe("Query parameter that carries the cursor, e.g. after"),
        cursor_path: dotPath("cursor_path"),
        limit_param: nonEmpty("limit_param").optional().describe("Query parameter for the page size; needs limit"),
        limit: positiveInt("limit").optional().describe("Records per request"),
      })
      .refine((p) => (p.limit_param === undefined) === (p.limit === undefined), {
        error: "limit_param and limit go together: set both or neither",
        path: ["limit"],
      })
      .describe("A cursor from the body sent back as a query parameter"),
    z.strictObject({ type: z.literal("next_url"), next_url_path: dotPath("next_url_path") }).describe("The next page's URL in the body"),
    z.strictObject({ type: z.literal("link_header") }).describe('The next page\'s URL in the Link header (rel="next", RFC 8288)'),
  ],
  { error: 'paginator.type must be one of "none", "page_number", "offset", "cursor", "next_url", "link_header"' },
);

const incrementalSchema = z
  .strictObject({
    cursor_field: dotPath("incremental.cursor_field").describe("Record field compared to find new and changed records, e.g. updated_at"),
    param: nonEmpty("incremental.param").describe("Query parameter that receives the lower bound, e.g. updated_since (inclusive)"),
    lookback_seconds: z
      .int({ error: "lookback_seconds must be a whole number" })
      .min(0, { error: "lookback_seconds must be 0 or more" })
      .max(31 * 24 * 3600, { error: "lookback_seconds must be at most 31 days" })
      .default(0)
      .describe("Re-read this many seconds before the last cursor, for late-arriving changes (ISO timestamp cursors)"),
  })
  .describe("Read only records changed since the last run");

const streamSchema = z
  .strictObject({
    name: z
      .string({ error: "stream name must be a string" })
      .regex(IDENTIFIER, { error: "stream name must be an identifier: a letter or underscore, then letters, digits or underscores (at most 63)" })
      .describe("Stream name; also the warehouse table name"),
    path: nonEmpty("path")
      .refine((p) => p.startsWith("/"), { error: 'path must start with "/" (it is appended to base_url)' })
      .describe("Path appended to base_url, e.g. /api/items"),
    params: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: "params values must be strings, numbers or booleans" }), {
        error: "params must map names to strings, numbers or booleans",
      })
      .optional()
      .describe("Fixed query parameters sent with every request"),
    records_path: dotPath("records_path").optional().describe("Dot path to the array of records; absent when the body is the array"),
    primary_key: z
      .union([nonEmpty("primary_key"), z.array(nonEmpty("primary_key field")).min(1, { error: "primary_key must name at least one field" })], {
        error: "primary_key must be a field name or an array of field names",
      })
      .optional()
      .describe("Field(s) identifying a record; incremental streams merge on it"),
    paginator: paginatorSchema.optional().describe("Overrides the top-level paginator for this stream"),
    incremental: incrementalSchema.optional(),
  })
  .refine((s) => !s.incremental || s.primary_key !== undefined, {
    error: "incremental streams need a primary_key: records re-read by the inclusive lower bound are merged on it",
    path: ["primary_key"],
  });

export const restApiConfigSchema = z
  .strictObject({
    base_url: z
      .string({ error: "base_url must be a string" })
      .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), { error: "base_url must be an absolute http(s) URL" })
      .describe("API root, e.g. https://api.example.com (https and a public host outside development mode)"),
    auth: authSchema.default({ type: "none" }).describe("How requests authenticate"),
    headers: z
      .record(
        z.string().regex(HEADER_NAME),
        z.string({ error: "header values must be strings" }).refine((v) => !/[\r\n]/.test(v), { error: "header values must not contain line breaks" }),
        {
          error: (issue) =>
            issue.code === "invalid_key" ? "header names may contain only letters, digits and !#$%&'*+.^_`|~-" : "headers must map names to strings",
        },
      )
      .optional()
      .describe("Headers sent with every request"),
    paginator: paginatorSchema.optional().describe("Default paginator for every stream (none when absent)"),
    streams: z
      .array(streamSchema, { error: "streams must be an array" })
      .min(1, { error: "declare at least one stream" })
      .superRefine((streams, ctx) => {
        const seen = new Set<string>();
        streams.forEach((s, index) => {
          if (seen.has(s.name)) ctx.addIssue({ code: "custom", message: `stream name "${s.name}" is used twice`, path: [index, "name"] });
          seen.add(s.name);
        });
      })
      .describe("The endpoints to read, one stream each"),
  })
  .describe("Any JSON REST API, declared as base URL, auth, paginator and streams");

export type RestApiConfig = z.output<typeof restApiConfigSchema>;
export type RestApiStream = RestApiConfig["streams"][number];
export type RestApiAuth = RestApiConfig["auth"];

export const REST_API_SECRET_FIELDS = ["auth.token", "auth.value", "auth.password"];

/** The secret each auth type needs before a loader can run; `none` needs nothing. */
export function credentialSetsFor(config: Pick<RestApiConfig, "auth">): string[][] {
  switch (config.auth.type) {
    case "none":
      return [[]];
    case "bearer":
      return [["auth.token"]];
    case "api_key":
      return [["auth.value"]];
    case "basic":
      return [["auth.password"]];
  }
}
