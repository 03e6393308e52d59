/**
 * GraphQL over the kit's http client (Shopify Admin, and any GraphQL API): a POST of `{query, variables}`, the
 * answer's `errors` turned into ConnectorErrors, and `extensions.cost` handed back so a reader can feed the loader's
 * shared budget. A `THROTTLED` answer arrives as HTTP 200 (research/connectors-saas.md, Shopify rate limits); it is
 * caught inside the client's retry loop and retried after `(requestedQueryCost − currentlyAvailable) / restoreRate`
 * seconds, the time the bucket needs to refill.
 */
import { ConnectorError } from "./errors";
import type { HttpClient, HttpResult } from "./http";

export interface GraphqlError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** Shopify's `extensions.cost` (other APIs report theirs in the same place, in their own shapes). */
export interface GraphqlCost {
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

export interface GraphqlRequest {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  headers?: Record<string, string | undefined>;
}

export interface GraphqlResponse<T> {
  data: T;
  /** Errors beside data (a partial answer), when `allowPartial` accepted them. */
  errors: GraphqlError[];
  extensions: Record<string, unknown> | undefined;
  cost: GraphqlCost | undefined;
  headers: Headers;
}

export interface GraphqlOptions {
  /** Accept an answer that has both `data` and `errors` (fields the token may not read); default: such errors fail. */
  allowPartial?: boolean;
}

interface GraphqlBody {
  data?: unknown;
  errors?: GraphqlError[];
  extensions?: Record<string, unknown> & { cost?: GraphqlCost };
}

export async function graphql<T = unknown>(http: HttpClient, request: GraphqlRequest, options: GraphqlOptions = {}): Promise<GraphqlResponse<T>> {
  const result = await http.request({
    method: "POST",
    url: request.url,
    json: { query: request.query, ...(request.variables ? { variables: request.variables } : {}), ...(request.operationName ? { operationName: request.operationName } : {}) },
    ...(request.headers ? { headers: request.headers } : {}),
    expect: "json",
    classifyBody: graphqlThrottle,
    // Some shops answer THROTTLED with a 429 (research/connectors-saas.md): the same wait applies.
    classifyError: (status, text) => (status === 429 ? throttledIn(parseOrNull(text), status, URL.canParse(request.url) ? new URL(request.url) : undefined) : undefined),
  });
  const body = (result.json<GraphqlBody | null>() ?? {}) as GraphqlBody;
  const errors = Array.isArray(body.errors) ? body.errors : [];
  const hasData = body.data !== undefined && body.data !== null;
  if (errors.length > 0 && (!hasData || !options.allowPartial)) throw graphqlFailure(errors, new URL(result.url));
  if (!hasData) throw new ConnectorError("data", `the GraphQL answer from ${new URL(result.url).host} has neither data nor errors`);
  return { data: body.data as T, errors, extensions: body.extensions, cost: body.extensions?.cost, headers: result.headers };
}

/** Seconds until the bucket holds the query's cost again; 0 when it already does, undefined without a cost report. */
export function throttleWaitSeconds(cost: GraphqlCost | undefined): number | undefined {
  const status = cost?.throttleStatus;
  if (!status || typeof cost?.requestedQueryCost !== "number" || !(status.restoreRate > 0)) return undefined;
  return Math.max(0, (cost.requestedQueryCost - status.currentlyAvailable) / status.restoreRate);
}

/** The 2xx check (`classifyBody`) for GraphQL: a THROTTLED answer becomes a retryable error carrying its wait. */
export function graphqlThrottle(result: HttpResult): ConnectorError | undefined {
  return throttledIn(result.json<GraphqlBody | null>(), result.status, new URL(result.url));
}

function parseOrNull(text: string): GraphqlBody | null {
  try {
    return JSON.parse(text) as GraphqlBody;
  } catch {
    return null;
  }
}

function throttledIn(body: GraphqlBody | null, status: number, url: URL | undefined): ConnectorError | undefined {
  const errors = body && Array.isArray(body.errors) ? body.errors : [];
  if (!errors.some((error) => error?.extensions?.code === "THROTTLED")) return undefined;
  const host = url?.host ?? "the GraphQL API";
  const details = url ? { url: `${url.origin}${url.pathname}` } : {};
  const cost = body?.extensions?.cost;
  const max = cost?.throttleStatus?.maximumAvailable;
  if (typeof cost?.requestedQueryCost === "number" && typeof max === "number" && cost.requestedQueryCost > max) {
    // Waiting never helps: the bucket can never hold this much (Shopify caps one query at 1,000 points).
    return new ConnectorError(
      "configuration",
      `the GraphQL query costs ${cost.requestedQueryCost} points, more than ${host}'s bucket of ${max}; ask for fewer records per page`,
      details,
    );
  }
  const wait = throttleWaitSeconds(cost);
  return new ConnectorError("retryable", `throttled by ${host} (GraphQL THROTTLED)`, {
    status,
    ...details,
    ...(wait === undefined ? {} : { retryAfterSeconds: wait }),
  });
}

/** GraphQL errors by their documented codes: server faults are retryable, the rest is the query's or the token's. */
function graphqlFailure(errors: GraphqlError[], url: URL): ConnectorError {
  const codes = errors.map((error) => error?.extensions?.code).filter((code): code is string => typeof code === "string");
  const messages = errors
    .map((error) => error?.message)
    .filter(Boolean)
    .slice(0, 3)
    .join("; ");
  const details = { url: `${url.origin}${url.pathname}` };
  if (codes.some((code) => code === "INTERNAL_SERVER_ERROR" || code === "TIMEOUT" || code === "SERVICE_UNAVAILABLE")) {
    return new ConnectorError("retryable", `GraphQL server error from ${url.host}: ${messages}`, details);
  }
  if (codes.some((code) => code === "ACCESS_DENIED" || code === "UNAUTHENTICATED" || code === "FORBIDDEN")) {
    return new ConnectorError("configuration", `permission denied by ${url.host} (GraphQL ${codes[0]}): ${messages}`, details);
  }
  return new ConnectorError("configuration", `${url.host} rejected the GraphQL query: ${messages}`, details);
}
