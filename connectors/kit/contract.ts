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
  /** `format: "decimal"`: an exact number (often sent as text) that the warehouse keeps as NUMERIC, never a float. */
  properties: Record<string, { type: JsonSchemaType | JsonSchemaType[]; format?: "date-time" | "date" | "decimal" }>;
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
  /**
   * Aborted when the run is cancelled, when another delivery took the stream over, or when the chunk overran its time
   * budget (by a quarter of it, at most 30 s): stop at the next page boundary. A read that returns early because of it
   * ends the chunk, never the stream; the next chunk resumes from the last page's checkpoint.
   */
  signal: AbortSignal;
  now(): Date;
  /**
   * Development mode (DESIGN §5): the kit's http client knows it already; sources that open their own sockets
   * (databases) ask it here, e.g. before connecting without TLS. Absent means production rules.
   */
  development?: boolean;
  /** The loader's OAuth token keeper, when the engine runs the read; absent in a one-off call. */
  tokens?: TokenStore;
  /**
   * The loader's shared budgets (DESIGN §5.4): one per loader, shared by every stream of every run. Absent in a
   * one-off call (check, discover from the API), where a connector sends its few requests unmetered.
   */
  budget?: SharedBudget;
  /**
   * The read is alive and working without yielding a page (polling a job inside one chunk, a long statement): renews
   * the chunk's lease and counts as progress, so the watchdog does not restart the stream. Cheap to call often (calls
   * are coalesced). The engine keeps the lease alive by itself while the chunk runs; this is for progress.
   */
  heartbeat?(): Promise<void>;
  /** Database sources: the most rows one page statement asks for (the deployment's MAX_PAGE_ROWS); absent, the kit's. */
  maxPageRows?: number;
}

/** A token bucket's shape: `capacity` tokens at most, `refillPerSecond` restored continuously. */
export interface TokenBucket {
  capacity: number;
  refillPerSecond: number;
}

export interface BudgetWait {
  /**
   * The longest wait this call accepts, in seconds (default: the engine's bound, 20 s). A grant further away is not
   * waited for: the call throws ResumeLater and the engine ends the chunk, coming back when the budget allows.
   */
  maxWaitSeconds?: number;
}

/** What an API reported about a bucket after a request (Shopify `throttleStatus`, `X-RateLimit-Remaining`). */
export interface BucketReport {
  /**
   * Tokens the API says are left. It only ever lowers the shared level (others spending the same account, or a
   * bucket that started emptier than assumed): grants already handed out but not yet sent are not in the API's
   * figure, so a higher report is not trusted.
   */
  available?: number;
  /** Tokens given back after a request cost less than it reserved (Shopify: requested minus actual query cost). */
  refund?: number;
  /** The bucket's shape as the API reports it (Shopify `maximumAvailable`, `restoreRate`); replaces the assumed one. */
  capacity?: number;
  refillPerSecond?: number;
}

export interface SlotOptions extends BudgetWait {
  /**
   * Who holds the slot. Default: this call (released by `release()` or when the chunk ends). A stable holder (the
   * job id of a bulk operation that spans chunks) keeps the slot across chunks; acquiring again with it renews.
   */
  holder?: string;
  /** How long the slot outlives its holder's last renewal (default 60 s); a holder that died frees it then. */
  leaseSeconds?: number;
}

export interface BudgetSlot {
  release(): Promise<void>;
}

/**
 * Limits that belong to the account, not to one request (Shopify cost points, HubSpot 100 requests per 10 s, Sheets
 * per-minute quotas, Mailchimp's 10 connections, one bulk operation per shop). Every stream asks before a request,
 * so a request never goes out only to be refused; a back-off one stream is told to take holds them all.
 */
export interface SharedBudget {
  /**
   * Takes `cost` tokens from bucket `key` (created full, shaped by `bucket`, on first use), waiting for the grant and
   * for any pause on `key`. Grants are first come, first served across streams.
   */
  take(key: string, cost: number, bucket: TokenBucket, options?: BudgetWait): Promise<void>;
  /** Syncs bucket `key` with what the API reported (see BucketReport). */
  observe(key: string, report: BucketReport): Promise<void>;
  /** One of `limit` concurrent slots of `key`, waiting for a free one (and for any pause on `key`). */
  slot(key: string, limit: number, options?: SlotOptions): Promise<BudgetSlot>;
  /** Every stream of the loader waits until `seconds` from now before its next `take` or `slot` on `key`. */
  pause(key: string, seconds: number): Promise<void>;
}

/**
 * Thrown by a budget (or a connector) when the read should stop here and continue later rather than wait in the
 * chunk: the engine commits the pages read so far, ends the chunk and enqueues the next one after `seconds`.
 * Not a failure: it spends none of the chunk's retries.
 */
export class ResumeLater extends Error {
  override readonly name = "ResumeLater";
  constructor(
    readonly seconds: number,
    message = `resume in ${Math.ceil(seconds)} s`,
  ) {
    super(message);
  }
}

export function isResumeLater(error: unknown): error is ResumeLater {
  return error instanceof ResumeLater;
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
  /** The records' count where the page knows it without building them (a page decoded only when read). */
  rowCount?: number;
  /**
   * The same records in PostgreSQL's COPY text format, where the source can give them so (PostgreSQL's page reads
   * as they came, MySQL's made from the driver's values), made when first read: a warehouse that loads COPY text
   * may copy their cells as they are instead of building records (src/warehouses/postgresql/copy-text.ts).
   * `records` is then decoded only if something reads it.
   */
  copyText?: CopyTextRows;
  /** Resumes the read right after this page, within the same run. Must be small (it travels in queue messages). */
  checkpoint: JsonObject;
  /** The stream state to commit if the stream ends after this page (incremental: the greatest cursor seen). */
  state?: JsonObject;
  /**
   * Come back later (DESIGN §5.2: an async report job or bulk operation still running). The engine commits this
   * page (its records may be empty), ends the chunk and enqueues the next one after this many seconds (at most
   * 12 hours); the next chunk resumes from `checkpoint`, which must name the job, so it polls the same job and
   * never submits a second one. The read is not asked for another page in this chunk.
   */
  resumeAfterSeconds?: number;
  /**
   * Source rows this page left out by the loader's own rule (s3 `on_bad_row: "skip"`: a malformed row), for the run's
   * counters, so a skipped row is reported, never silently lost.
   */
  skippedRows?: number;
}

/**
 * What a field's COPY text holds, as its source type decides: `integer` an integer literal (int2/int4/int8),
 * `boolean` t or f, `timestamp` a timestamp as a UTC session writes it (`2024-05-01 10:00:00.123456`, with `+00`
 * for timestamptz), `text` text whose record value is the text itself (text, varchar, numeric, date, uuid, …),
 * `jsonb` JSON as PostgreSQL's jsonb writes it (normalized: no duplicate keys, numbers as numeric text), `json` the
 * record value's own JSON.stringify text, `other` anything else whose record value needs its parser (PostgreSQL
 * json, bytea, floats, arrays, …).
 */
export type CopyCellKind = "integer" | "boolean" | "timestamp" | "text" | "jsonb" | "json" | "other";

/** A page's rows as COPY text (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"). */
export interface CopyTextRows {
  /** One line per record, in record order, each ending in a newline; fields tab-separated, escaped, `\N` for NULL. */
  text: string;
  /** The lines' count. */
  count: number;
  /** Record field names: the first `columns.length` fields of each line (a line may carry more, the read's own). */
  columns: string[];
  kinds: CopyCellKind[];
  /** Each field's record value from its unescaped text (never `\N`, which is null). */
  values: ((text: string) => unknown)[];
}

/** How large a key range of a split read should be, and how many ranges one stream may have at most. */
export interface SplitLimits {
  rowsPerRange: number;
  maxRanges: number;
}

export interface Connector<C extends JsonObject = JsonObject> extends LoaderTypeSpec<C> {
  /** A cheap authenticated call; throws ConnectorError("configuration") with a message a user can act on. */
  check(ctx: ConnectorContext, config: C): Promise<void>;
  /** For `discovered_from_config` types (and to refine a static catalog): the streams this config can read. */
  discover?(ctx: ConnectorContext, config: C): Promise<StreamSpec[]>;
  read(ctx: ConnectorContext, config: C, request: ReadRequest): AsyncIterable<Page>;
  /**
   * For sources that can read one stream as disjoint key ranges in parallel (databases): the initial checkpoint of
   * each range, in key order, or null to read the stream in one piece. Each range is then read by `read` from its
   * checkpoint, which carries its bounds (and keeps them in every later checkpoint), so the ranges together yield
   * every row exactly once; the first range is open below and the last open above, so rows inserted during the read
   * at either end are read too. Called once per run, on the stream's first chunk, with no checkpoint.
   */
  split?(ctx: ConnectorContext, config: C, request: ReadRequest, limits: SplitLimits): Promise<JsonObject[] | null>;
}
