/**
 * An http client whose every request first asks the loader's shared budget (DESIGN §5.4: a request never goes out
 * just to be refused): a token bucket for request-rate limits (Klaviyo's per-endpoint tiers), a concurrency slot
 * for connection limits (Mailchimp's 10). A meter's grant is asked once per request; the client's in-process
 * retries of that request are not metered again (a 429 that caused one should have paused the key already).
 */
import type { BucketReport, SharedBudget, TokenBucket } from "./contract";
import type { HttpClient, HttpRequest } from "./http";

export interface Grant {
  /** Runs once the request has been answered (or failed): release a slot, report what the answer said. */
  done(headers: Headers | undefined): Promise<void> | void;
}

export interface Meter {
  grant(): Promise<Grant>;
}

export function meteredClient(http: HttpClient, meter: Meter): HttpClient {
  const metered = async <T>(send: () => Promise<T>, headersOf: (result: T) => Headers | undefined): Promise<T> => {
    const grant = await meter.grant();
    let headers: Headers | undefined;
    try {
      const result = await send();
      headers = headersOf(result);
      return result;
    } finally {
      await grant.done(headers);
    }
  };
  return {
    request: (req: HttpRequest) => metered(() => http.request(req), (r) => r.headers),
    // getJson is request with `expect: "json"` (http.ts), sent as such so that the meter sees the answer's headers:
    // the rate-limit and usage headers a meter reads come on JSON answers above all.
    getJson: async <T>(req: HttpRequest) => (await metered(() => http.request({ ...req, expect: "json" }), (r) => r.headers)).json<T>(),
    // A streamed body is read after the grant is done: a slot covers the request and its headers, not the body.
    stream: (req: HttpRequest) => metered(() => http.stream(req), (r) => r.headers),
    extend: (overrides) => meteredClient(http.extend(overrides), meter),
    get requestsSent() {
      return http.requestsSent;
    },
  };
}

/**
 * One token of bucket `key` per request; `report` reads what an answer says about the bucket (a remaining-requests
 * header), which the budget uses to lower its level. Reports are sent without waiting: they only tighten later grants.
 */
export function tokenMeter(budget: SharedBudget, key: string, bucket: TokenBucket, report?: (headers: Headers) => BucketReport | undefined): Meter {
  return {
    async grant() {
      await budget.take(key, 1, bucket);
      return {
        done(headers) {
          const said = headers && report?.(headers);
          if (said) void budget.observe(key, said).catch(() => {});
        },
      };
    },
  };
}

/** One of `limit` concurrent slots of `key` for the length of each request. */
export function slotMeter(budget: SharedBudget, key: string, limit: number): Meter {
  return {
    async grant() {
      const slot = await budget.slot(key, limit);
      return { done: () => slot.release() };
    },
  };
}
