/**
 * The one contract every loader type implements (DESIGN §5). A loader type is mostly data — config schema,
 * secrets, credential sets, stream catalog — plus three verbs that run on the kit's http client.
 * Connectors never touch D1 or a warehouse: they yield pages, and the engine decides what is committed.
 */
import type { z } from "zod";
import type { HttpClient } from "./http";
import type { TokenResponse } from "./oauth2";

export type SyncMode = "full_refresh" | "incremental";
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type SourceRecord = Record<string, unknown>;

/** A subset of JSON Schema: enough to type warehouse columns before the first record arrives. */
export interface RecordSchema {
  type: "object";
  properties: Record<string, { type: JsonSchemaType | JsonSchemaType[]; format?: "date-time" | "date" }>;
}
export type JsonSchemaType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null";

export interface StreamSpec {
  /** Name as the source API spells it (`Contact`, `customers`); the warehouse table is its snake_case. */
  name: string;
  /** Field names of the source record; empty when the source has no key (append-only streams). */
  primary_key: string[];
  /** Field compared to pick the newest version of a record and to resume incremental reads; null = none. */
  cursor_field: string | null;
  supported_sync_modes: SyncMode[];
  json_schema?: RecordSchema;
  /** The source reports deletions; such records arrive with `_loader_deleted_at` set. */
  reports_deletes?: boolean;
}

export type LoaderCategory =
  | "crm" | "payments" | "ecommerce" | "analytics" | "advertising" | "marketing" | "database" | "api" | "productivity" | "files";

/** Static facts about a loader type, served by GET /loader-types and used to validate loaders. */
export interface LoaderTypeSpec<C extends JsonObject = JsonObject> {
  type: string;
  title: string;
  category: LoaderCategory;
  /** How the user authenticates: `oauth2_refresh_token`, `api_key`, `basic`, `service_account`, `password`, `aws_sigv4`, … */
  auth_method: string;
  /** Accepts a config whose credentials may still be missing (a `draft` loader); rejects wrong shapes. */
  config: z.ZodType<C>;
  /** Dot paths of secret fields (`client_secret`, `auth.token`): encrypted at rest, never returned. */
  secret_fields: string[];
  /**
   * Alternative sets of dot paths; the config is complete (the loader can be `active`) when every path of at
   * least one set is present. `[[]]` means no credentials are needed.
   */
  credential_sets: string[][];
  /**
   * Where the credentials needed depend on the config itself (rest_api: `auth.type` none needs nothing, bearer
   * needs `auth.token`): the sets for this config, used instead of `credential_sets` to decide draft vs active.
   */
  credentialSetsFor?(config: C): string[][];
  /** The catalog, or the marker that streams are discovered from the config (databases, rest_api, files). */
  streams: StreamSpec[] | { discovered_from_config: true; description: string };
  /** The API version the connector pins and sends on every request, where the API has one. */
  api_version?: string;
  /**
   * For `discovered_from_config` types whose catalog is a pure function of the config (rest_api's declared streams):
   * lets the API validate `selected_streams` at create time without a network call.
   */
  streamsFromConfig?(config: C): StreamSpec[];
  /**
   * For sources whose objects are open-ended (Salesforce custom objects `Foo__c`): the spec a stream not in the
   * static catalog would have, or null if the name cannot be one. Such a stream is checked against the source's
   * live discovery when the run starts.
   */
  unlistedStream?(name: string): StreamSpec | null;
}

export interface ConnectorContext {
  http: HttpClient;
  /** Aborted when the run is cancelled or the chunk's time budget is spent; stop at the next page boundary. */
  signal: AbortSignal;
  now(): Date;
  /**
   * Development mode (DESIGN §5): the kit's http client knows it already; sources that open their own sockets
   * (databases) ask it here, e.g. before connecting without TLS. Absent means production rules.
   */
  development?: boolean;
  /** The loader's OAuth token keeper, when the engine runs the read; absent in a one-off call. */
  tokens?: TokenStore;
}

/**
 * One keeper of a loader's OAuth tokens for all the chunks of its runs. Chunks extract in parallel; if each renewed
 * on its own, a provider that rotates refresh tokens (single use: Salesforce with rotation on) would accept the
 * first renewal and answer invalid_grant to the next, and a rotated token kept only in memory would be lost when
 * the chunk ends (research/anchors.md §3 item 11: Airbyte's long-standing failure).
 */
export interface TokenStore {
  /**
   * A live access token for the refresh token the config holds at `field`: the one already issued if it still
   * lives and is not `rejected`, else `obtain(current refresh token)` — one renewal at a time per loader. A rotated
   * refresh token in the answer replaces the one in the loader's config. The answer never carries a refresh token.
   */
  token(request: TokenRequest, obtain: (refreshToken: string) => Promise<TokenResponse>): Promise<TokenResponse>;
}

export interface TokenRequest {
  /** The secret field of the loader's config holding the refresh token, e.g. `refresh_token`. */
  field: string;
  /** The refresh token as this chunk read it from the config (a newer rotated one may exist). */
  refreshToken: string;
  /** An access token the API has just refused (HTTP 401): a token is wanted that is not this one. */
  rejected?: string;
}

export interface ReadRequest {
  stream: StreamSpec;
  sync_mode: SyncMode;
  /** Committed state from the last successful read of this stream (incremental only; null on first run). */
  state: JsonObject | null;
  /** Where to resume inside the current run (the checkpoint of the last committed page), or null at the start. */
  checkpoint: JsonObject | null;
}

export interface Page {
  records: SourceRecord[];
  /** Resumes the read right after this page, within the same run. Must be small (it travels in queue messages). */
  checkpoint: JsonObject;
  /** The stream state to commit if the stream ends after this page (incremental: the greatest cursor seen). */
  state?: JsonObject;
}

export interface Connector<C extends JsonObject = JsonObject> extends LoaderTypeSpec<C> {
  /** A cheap authenticated call; throws ConnectorError("configuration") with a message a user can act on. */
  check(ctx: ConnectorContext, config: C): Promise<void>;
  /** For `discovered_from_config` types (and to refine a static catalog): the streams this config can read. */
  discover?(ctx: ConnectorContext, config: C): Promise<StreamSpec[]>;
  read(ctx: ConnectorContext, config: C, request: ReadRequest): AsyncIterable<Page>;
}
