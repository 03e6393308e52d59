/**
 * Shared pieces of the loader-type specs (connectors/<type>/spec.ts): the stream builder and the zod fields that
 * recur across types, so every spec reads as data and a rule (what a secret looks like in the served JSON Schema,
 * what "present" means for a credential) is written once.
 *
 * Conventions the specs follow:
 * - `auth_method` names one method per credential set, in the order of `credential_sets`, joined by `|`
 *   (`api_key|oauth2_refresh_token`): api_key, bearer_token, oauth2_refresh_token, oauth2_access_token,
 *   oauth2_client_credentials, service_account, password, aws_sigv4.
 * - Record field names are the API's, except where a spec's header says the connector reshapes records (lifting
 *   a nested cursor to the top level, flattening GAQL paths); cursor and key fields are always top-level.
 */
import { z } from "zod";
import type { JsonSchemaType, RecordSchema, StreamSpec } from "./contract";

// ---------------------------------------------------------------------------------------------------------------
// Streams

/** Column types of a stream's JSON schema; `date-time` and `date` are strings with that format. */
export type FieldType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "date-time" | "date";
export type Fields = Record<string, FieldType>;

export interface StreamOptions {
  primaryKey: string[];
  /** null: the source offers no field to resume from, so the stream is full_refresh only. */
  cursor: string | null;
  deletes?: boolean;
  /** Must type every primary-key and cursor field; other fields are listed where their type is certain. */
  fields: Fields;
}

export function stream(name: string, options: StreamOptions): StreamSpec {
  const { primaryKey, cursor, deletes, fields } = options;
  const required = cursor ? [...primaryKey, cursor] : primaryKey;
  const untyped = required.filter((field) => !(field in fields));
  // A spec bug, so it fails at import: the engine types key and cursor columns before the first record arrives.
  if (untyped.length > 0) throw new Error(`stream ${name}: no type for key/cursor field(s) ${untyped.join(", ")}`);
  const spec: StreamSpec = {
    name,
    primary_key: primaryKey,
    cursor_field: cursor,
    supported_sync_modes: cursor ? ["full_refresh", "incremental"] : ["full_refresh"],
    json_schema: recordSchema(fields, new Set(required)),
  };
  if (deletes) spec.reports_deletes = true;
  return spec;
}

/** Key and cursor fields are never null; every other field may be. */
export function recordSchema(fields: Fields, nonNull: ReadonlySet<string> = new Set()): RecordSchema {
  const properties: RecordSchema["properties"] = {};
  for (const [field, type] of Object.entries(fields)) {
    const base: JsonSchemaType = type === "date-time" || type === "date" ? "string" : type;
    properties[field] = {
      type: nonNull.has(field) ? base : [base, "null"],
      ...(type === "date-time" || type === "date" ? { format: type } : {}),
    };
  }
  return { type: "object", properties };
}

export function discoveredFromConfig(description: string) {
  return { discovered_from_config: true as const, description };
}

/** Names of streams a user defines (reports, files): they become warehouse tables, so identifier-safe. */
export const streamName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, "must be lower snake_case: a letter, then letters, digits or underscores (at most 63)");

/**
 * A list of user-defined streams (custom reports, file streams): names must be unique and must not shadow the
 * type's built-in streams, or two definitions would write one table. Callers add `.default([])` or `.min(1)`.
 */
export function customStreamsField<T extends z.ZodType<{ name: string }>>(item: T, builtIn: Iterable<string>) {
  const taken = new Set(builtIn);
  return z.array(item).superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach(({ name }, index) => {
      const problem = taken.has(name) ? "is a built-in stream of this type" : seen.has(name) ? "is defined twice" : null;
      if (problem) ctx.addIssue({ code: "custom", path: [index, "name"], message: `"${name}" ${problem}` });
      seen.add(name);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Config fields

/**
 * A secret: optional (a draft loader may get it later), never empty, and `writeOnly` in the served JSON Schema so a
 * UI renders a password input. The spec still lists it in `secret_fields`, which is what encryption uses; the
 * catalog tests check that both agree.
 */
export function secretField<T extends z.ZodType<string>>(description: string, schema?: T) {
  return (schema ?? z.string().min(1, "must not be empty")).meta({ writeOnly: true }).optional().describe(description);
}

/** A non-secret part of a credential set (client ids, account ids that only mean something with a secret). */
export function credentialField<T extends z.ZodType<string>>(description: string, schema?: T) {
  return (schema ?? z.string().min(1, "must not be empty")).optional().describe(description);
}

/** The OAuth 2.0 refresh-token triple, shared by every provider that offers that flow. */
export function oauthRefreshFields(provider: string) {
  return {
    client_id: credentialField(`OAuth client ID of your ${provider} app (refresh-token flow).`),
    client_secret: secretField(`OAuth client secret of your ${provider} app.`),
    refresh_token: secretField(`OAuth refresh token granted to your ${provider} app; exchanged for access tokens at run time.`),
  };
}

/**
 * A Google service-account key, pasted as the JSON file Google Cloud downloads. Checked for the three fields the
 * JWT-bearer flow needs (client_email signs as `iss`, private_key signs, type guards against pasting an OAuth client
 * file), so a wrong paste is a 400 at create time instead of a failed run.
 */
export function serviceAccountJsonField(description: string) {
  return secretField(
    description,
    z.string().refine(isServiceAccountKey, {
      message: 'must be a service-account key file: JSON with "type": "service_account", client_email and private_key',
    }),
  );
}

function isServiceAccountKey(text: string): boolean {
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof key !== "object" || key === null) return false;
  const { type, client_email, private_key } = key as Record<string, unknown>;
  return type === "service_account" && typeof client_email === "string" && typeof private_key === "string";
}

export function startDateField(
  description = "Read records created or changed on or after this date (YYYY-MM-DD, UTC). Empty reads the full history the API offers.",
) {
  return z.iso.date({ error: "must be a date as YYYY-MM-DD" }).optional().describe(description);
}

export function endDateField(
  description = "Last date to read (YYYY-MM-DD, UTC), for reports over a closed period. Empty reads up to today.",
) {
  return z.iso.date({ error: "must be a date as YYYY-MM-DD" }).optional().describe(description);
}

/**
 * The version the connector pins: defaulted so a loader stays on it, overridable so a user can move before the
 * vendor retires it (ads and commerce APIs retire versions within about a year).
 */
export function apiVersionField(pinned: string, pattern: RegExp, shape: string) {
  if (!pattern.test(pinned)) throw new Error(`pinned API version ${pinned} does not match its own pattern`);
  return z
    .string()
    .regex(pattern, `must look like ${shape}`)
    .default(pinned)
    .describe(`API version sent on every request (${shape}). Defaults to ${pinned}, the version this connector is built against.`);
}

export function lookbackDaysField(options: { default: number; max: number; why: string }) {
  return z
    .number()
    .int()
    .min(0)
    .max(options.max)
    .default(options.default)
    .describe(`Days before the last synced point that each incremental run reads again: ${options.why}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Databases

/** DNS labels separated by dots (IPv4 included), or an IPv6 address. */
const HOSTNAME_OR_IP = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9a-fA-F:]+$/;

export const hostField = z
  .string()
  .regex(HOSTNAME_OR_IP, "must be a hostname or IP address, without scheme or port")
  .max(253)
  .describe("Database server hostname or IP address (production runs can reach only public hosts).");

export function portField(defaultPort: number) {
  return z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(defaultPort)
    .describe(`TCP port of the database server (default ${defaultPort}).`);
}

export const cursorColumnField = z
  .string()
  .min(1)
  .max(63)
  .default("updated_at")
  .describe(
    "Column compared to find rows changed since the last run (cursor replication). Tables that have it can sync incrementally; tables without it sync full_refresh only.",
  );

export const replicationMethodField = z
  .enum(["cursor"])
  .default("cursor")
  .describe(
    "How changes are found. `cursor`: rows whose cursor column is at or after the last synced value (deletes are not seen). Log-based CDC is not offered: it needs a long-lived replication session that Workers cannot hold.",
  );

/**
 * The fields every database source's config opens with, in the order a form shows them: where the server is and
 * who connects. Identifier limits differ per engine, so `database` and `user` come from the spec.
 */
export function databaseServerFields(defaultPort: number, login: { database: z.ZodString; user: z.ZodString; password: string }) {
  return {
    host: hostField,
    port: portField(defaultPort),
    database: login.database,
    user: login.user,
    password: secretField(login.password),
  };
}

/** The fields every database source's config closes with: how changes are found. */
export const databaseReplicationFields = {
  replication_method: replicationMethodField,
  cursor_field: cursorColumnField,
};

/** A database source's spec apart from its name and config: password auth, streams discovered from the database. */
export function databaseSourceSpec(streams: string) {
  return {
    category: "database" as const,
    auth_method: "password",
    secret_fields: ["password"],
    credential_sets: [["password"]],
    streams: discoveredFromConfig(streams),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Credential sets

/** The same rule the API applies to credential sets: a field counts once it holds a non-empty value. */
function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/**
 * For types with alternative credential sets (a token OR an OAuth triple): rejects a config that mixes fields
 * unique to different sets, since the connector could not tell which one the user means. A field that belongs to
 * several sets (Google Ads' developer_token) never conflicts.
 */
export function exclusiveCredentialSets(sets: readonly (readonly string[])[]) {
  const owners = new Map<string, number[]>();
  sets.forEach((set, index) => set.forEach((field) => owners.set(field, [...(owners.get(field) ?? []), index])));
  const unique = sets.map((set) => set.filter((field) => owners.get(field)?.length === 1));
  return (config: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const used = unique
      .map((fields) => fields.filter((field) => isPresent(config[field])))
      .filter((fields) => fields.length > 0);
    if (used.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [used[1]![0]!],
        message: `give one set of credentials, not several: ${used.map((fields) => fields.join(" + ")).join(" conflicts with ")}`,
      });
    }
  };
}
