/**
 * The GA4 Data API client (research/connectors-data.md §1): analyticsdata.googleapis.com/v1beta with the loader's
 * Google credentials (kit/google.ts), and the property's token quota honoured through the loader's shared budget
 * (DESIGN §5.4): before a runReport the budget grants the tokens it is expected to cost, after it the answer's
 * `propertyQuota` tells the budget what is left, and a request the property's tokens cannot pay for is not sent —
 * the read comes back when the hour's tokens are there again.
 */
import type { ConnectorContext, SharedBudget } from "../kit/contract";
import { ResumeLater } from "../kit/contract";
import { ConnectorError, isConnectorError } from "../kit/errors";
import { googleClient } from "../kit/google";
import type { HttpClient } from "../kit/http";
import type { Ga4Config } from "./spec";

export const GA4_API = "https://analyticsdata.googleapis.com/v1beta";
export const GA4_SCOPES = ["https://www.googleapis.com/auth/analytics.readonly"];

/**
 * A standard property's buckets (the PropertyQuota reference; 360 properties have ten times more). The shapes are
 * assumptions the answers correct: each `propertyQuota` lowers the shared level to what GA4 says remains.
 */
const HOUR_BUCKET = { capacity: 40_000, refillPerSecond: 40_000 / 3600 };
const DAY_BUCKET = { capacity: 200_000, refillPerSecond: 200_000 / 86_400 };
/** What a request is assumed to cost before one has been answered (GA4 charges by the rows and dimensions it scans). */
const FIRST_ESTIMATE = 10;

interface QuotaStatus {
  consumed?: number;
  remaining?: number;
}
export interface PropertyQuota {
  tokensPerHour?: QuotaStatus;
  tokensPerDay?: QuotaStatus;
}

export function ga4Client(ctx: ConnectorContext, config: Ga4Config): HttpClient {
  return googleClient(ctx, {
    baseUrl: GA4_API,
    scopes: GA4_SCOPES,
    credentials: config,
    product: "Google Analytics Data API",
    permissionHint: "Add the service account's client_email (or the authorizing user) as a Viewer of the property: GA4 Admin → Property access management.",
    notFoundHint: "Check property_ids: the numeric id under GA4 Admin → Property details.",
    // GA4 names no wait in its 429s; the message says which quota ran out (the Data API's error reference,
    // research §1): tokens come back with the hour, concurrent requests within seconds.
    special: (status, error) => {
      if (status !== 429 && error.status !== "RESOURCE_EXHAUSTED") return undefined;
      const message = error.message ?? "RESOURCE_EXHAUSTED";
      const wait = error.retryDelaySeconds ?? (/tokens|thresholded|server errors/i.test(message) ? untilNextHour(Date.now()) : 30);
      return new ConnectorError("retryable", `Google Analytics Data API quota exhausted: ${message}`, { status, retryAfterSeconds: wait });
    },
  });
}

/** Seconds until the next clock hour, with a margin: GA4 names no wait for its hourly token quota. */
export function untilNextHour(nowMs: number): number {
  return 3600 - Math.floor((nowMs / 1000) % 3600) + 5;
}

/**
 * The token meter of one read: per property, the cost of the last answered request is the next estimate, and the
 * remaining tokens GA4 reported decide whether the next request may go at all.
 */
export class PropertyTokens {
  private readonly estimate = new Map<string, number>();
  private readonly remaining = new Map<string, number>();

  constructor(
    private readonly budget: SharedBudget | undefined,
    private readonly now: () => number,
  ) {}

  private keys(property: string) {
    return { hour: `ga4:${property}:tokens_per_hour`, day: `ga4:${property}:tokens_per_day` };
  }

  /** Sends `send` once the property can pay for it; otherwise every stream of the loader waits for the next hour. */
  async spend<T extends { propertyQuota?: PropertyQuota }>(property: string, send: () => Promise<T>): Promise<T> {
    const cost = this.estimate.get(property) ?? FIRST_ESTIMATE;
    const left = this.remaining.get(property);
    if (left !== undefined && left < cost) await this.exhausted(property, `the property has ${left} of its hourly tokens left and a request costs about ${cost}`);
    const keys = this.keys(property);
    if (this.budget) {
      await this.budget.take(keys.hour, cost, HOUR_BUCKET);
      await this.budget.take(keys.day, cost, DAY_BUCKET);
    }
    let answer: T;
    try {
      answer = await send();
    } catch (error) {
      // Another client of the property spent its tokens: wait for the hour rather than fail the run.
      if (isConnectorError(error) && error.kind === "retryable" && /Exhausted property tokens|quota exhausted/i.test(error.message) && /tokens/i.test(error.message)) {
        await this.exhausted(property, error.message);
      }
      throw error;
    }
    const quota = answer.propertyQuota;
    const hour = quota?.tokensPerHour;
    const day = quota?.tokensPerDay;
    if (typeof hour?.consumed === "number" && hour.consumed > 0) this.estimate.set(property, hour.consumed);
    if (typeof hour?.remaining === "number") this.remaining.set(property, Math.min(hour.remaining, day?.remaining ?? Infinity));
    if (this.budget) {
      const refund = (consumed: number | undefined) => (typeof consumed === "number" && consumed < cost ? { refund: cost - consumed } : {});
      if (hour) await this.budget.observe(keys.hour, { ...(typeof hour.remaining === "number" ? { available: hour.remaining } : {}), ...refund(hour.consumed) });
      if (day) await this.budget.observe(keys.day, { ...(typeof day.remaining === "number" ? { available: day.remaining } : {}), ...refund(day.consumed) });
    }
    return answer;
  }

  private async exhausted(property: string, why: string): Promise<never> {
    const wait = untilNextHour(this.now());
    this.remaining.delete(property);
    if (this.budget) await this.budget.pause(this.keys(property).hour, wait);
    throw new ResumeLater(wait, `GA4 property ${property}: ${why}; resuming when the next hour's tokens are there (in ${wait} s)`);
  }
}

export function configurationError(message: string): ConnectorError {
  return new ConnectorError("configuration", message);
}
