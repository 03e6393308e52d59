/**
 * The Graph API client of a facebook_ads read (research/connectors-data.md §2): graph.facebook.com/<pinned version>,
 * the token as `access_token` (and `appsecret_proof` when an app secret is given), Meta's error codes classified by
 * the body (Meta answers HTTP 400 for throttling too), and the ad account's usage headers fed to the loader's shared
 * budget so every stream slows down before Meta blocks the account (DESIGN §5.4).
 */
import type { AuthProvider } from "../kit/auth";
import type { ConnectorContext, SharedBudget } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { appendQueryParam, type HttpClient } from "../kit/http";
import { type Meter, meteredClient } from "../kit/metered";
import type { FacebookAdsConfig } from "./spec";

export const GRAPH_API = "https://graph.facebook.com";

/** App (4), user (17), ad account (613) and Business Use Case (80000–80014) rate limits: wait for access to return. */
export function isThrottleCode(code: number): boolean {
  return code === 4 || code === 17 || code === 613 || (code >= 80000 && code <= 80014);
}

/** The start of the message of the error a too-large insights request gets (codes 1 and 99): the reader halves it. */
export const REDUCE_DATA = "Meta asks to reduce the amount of data";

/**
 * Standard access tier: 9,000 points over a 300 s decay, a read costing 1 (Meta rate-limiting docs). The bucket
 * spends one token per call; the usage headers then lower it to what Meta says is left of the account's score.
 */
const ACCOUNT_BUCKET = { capacity: 300, refillPerSecond: 30 };
/** Airbyte and Meta's guidance: at 95 % of any usage figure stop until access is regained. */
const BLOCK_AT_PCT = 95;
/** Meta's block on the standard tier lasts 60 s; used when no header names the time to regain access. */
const DEFAULT_BLOCK_SECONDS = 60;

export const digits = (accountId: string) => accountId.replace(/^act_/, "");

export interface Usage {
  /** The highest percentage any of the three headers reports. */
  pct: number;
  /** Seconds until access returns, where a header says so (x-ad-account-usage in s, BUC in minutes). */
  regainSeconds: number | null;
}

function parseHeader(headers: Headers, name: string): unknown {
  const text = headers.get(name);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const numberIn = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : 0);

/** What X-Business-Use-Case-Usage, X-Ad-Account-Usage and X-App-Usage say; null when none is present. */
export function usageOf(headers: Headers): Usage | null {
  const buc = parseHeader(headers, "x-business-use-case-usage") as Record<string, Array<Record<string, unknown>>> | undefined;
  const account = parseHeader(headers, "x-ad-account-usage") as Record<string, unknown> | undefined;
  const app = parseHeader(headers, "x-app-usage") as Record<string, unknown> | undefined;
  if (!buc && !account && !app) return null;
  let pct = 0;
  let bucMinutes = 0;
  for (const entries of Object.values(buc ?? {})) {
    for (const entry of Array.isArray(entries) ? entries : []) {
      pct = Math.max(pct, numberIn(entry.call_count), numberIn(entry.total_cputime), numberIn(entry.total_time));
      bucMinutes = Math.max(bucMinutes, numberIn(entry.estimated_time_to_regain_access));
    }
  }
  pct = Math.max(pct, numberIn(account?.acc_id_util_pct), numberIn(app?.call_count), numberIn(app?.total_time), numberIn(app?.total_cputime));
  const resetSeconds = numberIn(account?.reset_time_duration);
  const regainSeconds = resetSeconds > 0 ? resetSeconds : bucMinutes > 0 ? bucMinutes * 60 : null;
  return { pct, regainSeconds };
}

interface GraphErrorBody {
  error?: { message?: string; code?: number; error_subcode?: number; type?: string; error_user_msg?: string };
}

function graphError(body: string): GraphErrorBody["error"] | undefined {
  try {
    return (JSON.parse(body) as GraphErrorBody).error;
  } catch {
    return undefined;
  }
}

/** Meta's error codes as the engine's kinds; the wait of a throttle is the one its headers name. */
export function classifyGraphError(status: number, body: string, headers: Headers, onThrottle?: (seconds: number) => void): ConnectorError | undefined {
  const error = graphError(body);
  if (!error || typeof error.code !== "number") return undefined;
  const code = error.code;
  const said = `Meta error ${code}${error.error_subcode ? `/${error.error_subcode}` : ""}: ${error.message ?? ""}`;
  if (code === 190 || code === 102) {
    return new ConnectorError("configuration", `the access token expired or was revoked (${said}). Create a new system-user token (Business settings → System users → Generate token, with ads_read) and save it in the loader's access_token.`, { status });
  }
  if (isThrottleCode(code)) {
    const wait = usageOf(headers)?.regainSeconds ?? DEFAULT_BLOCK_SECONDS;
    onThrottle?.(wait);
    return new ConnectorError("retryable", `Meta throttled the ad account (${said}); waiting ${wait} s for access to return`, { status, retryAfterSeconds: wait });
  }
  if ((code === 1 || code === 99) && /reduce the amount of data/i.test(error.message ?? "")) {
    return new ConnectorError("data", `${REDUCE_DATA} (${said})`, { status });
  }
  if (code === 1 || code === 2) return new ConnectorError("retryable", `Meta had a temporary problem (${said})`, { status });
  if (code === 10 || code === 200 || (code > 200 && code < 300)) {
    return new ConnectorError("configuration", `the token may not read this ad account (${said}). Give the system user access to the ad account with the ads_read permission.`, { status });
  }
  if (code === 2635) return new ConnectorError("configuration", `the api_version is retired (${said}). Set api_version to a current version.`, { status });
  if (code === 100) return new ConnectorError("configuration", `Meta refused a parameter (${said}). Check the account ids, fields and breakdowns.`, { status });
  return undefined;
}

function tokenAuth(token: string, appSecret: string | undefined): AuthProvider {
  let proof: Promise<string> | undefined;
  // appsecret_proof: hex HMAC-SHA256 of the token keyed with the app secret (Graph API "Securing requests").
  const proofOf = async (secret: string) => {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(token)));
    return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
  };
  return {
    apply: async ({ url }) => {
      appendQueryParam(url, "access_token", token);
      if (appSecret) appendQueryParam(url, "appsecret_proof", await (proof ??= proofOf(appSecret)));
    },
    secretValues: () => [token, ...(appSecret ? [appSecret] : [])],
  };
}

/** One token per call from the account's bucket; each answer's usage lowers the bucket or pauses the account. */
function usageMeter(budget: SharedBudget, key: string): Meter {
  return {
    async grant() {
      await budget.take(key, 1, ACCOUNT_BUCKET);
      return {
        done(headers) {
          const usage = headers && usageOf(headers);
          if (!usage) return;
          const reported =
            usage.pct >= BLOCK_AT_PCT
              ? budget.pause(key, usage.regainSeconds ?? DEFAULT_BLOCK_SECONDS)
              : budget.observe(key, { available: Math.floor((ACCOUNT_BUCKET.capacity * (100 - usage.pct)) / 100) });
          void reported.catch(() => {});
        },
      };
    },
  };
}

/** The client for one ad account: its budget key is the account's, as Meta's limits are. */
export function facebookClient(ctx: ConnectorContext, config: FacebookAdsConfig, accountId: string): HttpClient {
  if (!config.access_token) throw new ConnectorError("configuration", "access_token is missing: give a system-user or long-lived user token with ads_read");
  const budget = ctx.budget;
  const key = `facebook:act_${digits(accountId)}`;
  const http = ctx.http.extend({
    baseUrl: `${GRAPH_API}/${config.api_version}`,
    auth: tokenAuth(config.access_token, config.app_secret),
    classifyError: (status, body, headers) =>
      classifyGraphError(status, body, headers, (seconds) => {
        // Every stream of the loader on this account stops for the block, not only the one that was told.
        if (budget) void budget.pause(key, seconds).catch(() => {});
      }),
  });
  return budget ? meteredClient(http, usageMeter(budget, key)) : http;
}
