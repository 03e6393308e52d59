/**
 * How each failure Salesforce answers with is handled: retried in process (5xx, the concurrency cap), ended as a
 * stream failure that keeps what was read (the daily allocation), or a configuration error a user can act on
 * (bad grant, a session refused after one refresh, unknown object, permission) — and never a secret in a message.
 */
import { describe, expect, it } from "vitest";
import type { Page } from "../../../connectors/kit/contract";
import { ConnectorError } from "../../../connectors/kit/errors";
import { salesforceConnector } from "../../../connectors/salesforce";
import { classifySalesforceError } from "../../../connectors/salesforce/errors";
import { CLIENT_SECRET, apiRequests, context, expectedRows, idsOf, org, readAll, readRequest, records, sfConfig, SMALL, tokenRequests } from "./harness";

const DATA = "/services/data/v66.0";

async function failureOf(run: Promise<unknown>): Promise<ConnectorError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** Reads until the stream ends or fails, keeping the pages delivered before a failure. */
async function readUntilFailure(run: AsyncIterable<Page>): Promise<{ pages: Page[]; error: ConnectorError | undefined }> {
  const pages: Page[] = [];
  try {
    for await (const page of run) pages.push(page);
    return { pages, error: undefined };
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return { pages, error: error as ConnectorError };
  }
}

describe("salesforce errors", () => {
  it("503 and 500 are retried in process with backoff, and the read completes", async () => {
    for (const status of [503, 500]) {
      const o = org(`retry${status}`);
      await o.seed();
      await o.faults({ fail_first: 2, fail_status: status });
      const { ctx, sleeps } = context();
      const pages = await readAll(ctx, sfConfig(o), readRequest("Account", "full_refresh"));
      expect(idsOf(records(pages))).toEqual(idsOf(expectedRows(await o.records("Account"))));
      expect(sleeps).toHaveLength(2);
      const api = apiRequests(await o.requests());
      expect(api.map((r) => [r.path, r.status])).toEqual([
        [`${DATA}/sobjects/Account/describe/`, status],
        [`${DATA}/sobjects/Account/describe/`, status],
        [`${DATA}/sobjects/Account/describe/`, 200],
        [`${DATA}/query`, 200],
      ]);
    }
  });

  it("the daily API limit fails the stream at once, with a clear message, after the pages already read", async () => {
    const o = org("daily");
    await o.seed({ ...SMALL, Account: 4500 });
    // Sign-in is not an API call; describe, the query and the second page are calls 1–3, the third page is refused.
    await o.faults({ daily_limit: 3 });
    const { ctx, sleeps } = context();
    const { pages, error } = await readUntilFailure(salesforceConnector.read(ctx, sfConfig(o), readRequest("Account", "incremental")));
    expect(pages.map((p) => p.records.length)).toEqual([2000, 2000]);
    expect(error?.kind).toBe("data");
    expect(error?.message).toMatch(/^Salesforce daily API request limit reached \(REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded\.\)/);
    expect(error?.details.status).toBe(403);
    expect(sleeps).toEqual([]);
    const api = apiRequests(await o.requests());
    expect(api.map((r) => r.status)).toEqual([200, 200, 200, 403]);
    // The state reported with the last page delivered is what those pages cover; the engine commits it only if the stream ends.
    expect(pages.at(-1)!.state).toEqual({ cursor: pages.at(-1)!.records.at(-1)!.SystemModstamp });
  });

  it("the concurrent-request cap (also REQUEST_LIMIT_EXCEEDED) is retried, then handed to the engine as retryable", async () => {
    const o = org("concurrent");
    await o.seed();
    await o.faults({ rates: { concurrent_limit: 1 } });
    const { ctx, sleeps } = context();
    const error = await failureOf(readAll(ctx, sfConfig(o), readRequest("Account", "full_refresh")));
    expect(error.kind).toBe("retryable");
    expect(error.message).toMatch(/^Salesforce concurrent request limit reached \(REQUEST_LIMIT_EXCEEDED: ConcurrentPerOrgLongTxn Limit exceeded\.\) \(gave up after 5 attempts\)$/);
    expect(sleeps).toHaveLength(4);
    expect(apiRequests(await o.requests()).map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
  });

  it("a refresh token that no longer works is a configuration error naming the fields to check, without secrets", async () => {
    const o = org("revoked");
    await o.seed();
    await o.faults({ revoke_refresh_token: true });
    const error = await failureOf(readAll(context().ctx, sfConfig(o), readRequest("Account", "full_refresh")));
    expect(error.kind).toBe("configuration");
    expect(error.message).toMatch(/^Salesforce sign-in failed \(.*invalid_grant: expired access\/refresh token\): check client_id, client_secret and refresh_token/);
    expect(error.message).not.toContain(o.refreshToken);
    expect(apiRequests(await o.requests())).toEqual([]);
  });

  it("a wrong client secret is a configuration error that does not echo the secret", async () => {
    const o = org("badclient");
    await o.seed();
    const wrong = "wrong-secret-value-1234";
    const error = await failureOf(readAll(context().ctx, sfConfig(o, { client_secret: wrong }), readRequest("Account", "full_refresh")));
    expect(error.kind).toBe("configuration");
    expect(error.message).toContain("invalid_client: invalid client credentials");
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  it("a session refused again after one refresh is a configuration error (exactly one refresh)", async () => {
    const o = org("refused");
    await o.seed();
    // Every call kills its session: the refresh succeeds, and the retried call is refused again.
    await o.faults({ rates: { session_expired: 1 } });
    const error = await failureOf(readAll(context().ctx, sfConfig(o), readRequest("Account", "full_refresh")));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe(
      "Salesforce rejected the session even after a token refresh (INVALID_SESSION_ID: Session expired or invalid): reconnect the loader (a new refresh_token) or check that the connected app is still authorized",
    );
    const log = await o.requests();
    expect(tokenRequests(log)).toHaveLength(2);
    expect(apiRequests(log).map((r) => r.status)).toEqual([401, 401]);
  });

  it("an object the org does not have is a configuration error naming it", async () => {
    const o = org("unknown");
    await o.seed();
    const error = await failureOf(readAll(context().ctx, sfConfig(o), readRequest("Shipment__c", "full_refresh")));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe('Salesforce object "Shipment__c" does not exist in this org, or the integration user has no access to it');
  });

  it("a draft config without credentials fails before any request", async () => {
    const o = org("draft");
    const error = await failureOf(readAll(context().ctx, sfConfig(o, { refresh_token: undefined, client_secret: undefined }), readRequest("Account", "full_refresh")));
    expect(error).toMatchObject({ kind: "configuration", message: "the Salesforce credentials are incomplete: client_secret, refresh_token not set" });
  });

  it("classifies the API's other error bodies, moving a SOQL error's reason to the front", () => {
    const body = (errorCode: string, message: string) => JSON.stringify([{ message, errorCode }]);
    const denied = classifySalesforceError(403, body("INSUFFICIENT_ACCESS", "insufficient access rights on object id"), new Headers());
    expect(denied).toMatchObject({ kind: "configuration", message: expect.stringMatching(/^Salesforce denied access \(INSUFFICIENT_ACCESS: insufficient access rights on object id\)/) });

    const soql = `\nSELECT Id, ${"Field__c, ".repeat(400)}Name FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Nope' on entity 'Account'.`;
    const malformed = classifySalesforceError(400, body("INVALID_FIELD", soql), new Headers());
    expect(malformed?.kind).toBe("configuration");
    expect(malformed?.message).toBe("Salesforce rejected the request (HTTP 400, INVALID_FIELD: No such column 'Nope' on entity 'Account'. (at column 8 of the query))");

    // 5xx and bodies that are not Salesforce's array shape go to the kit's default classification.
    expect(classifySalesforceError(503, body("SERVER_UNAVAILABLE", "down"), new Headers())).toBeUndefined();
    expect(classifySalesforceError(502, "<html>Bad gateway</html>", new Headers())).toBeUndefined();
    expect(classifySalesforceError(400, JSON.stringify({ error: "invalid_grant" }), new Headers())).toBeUndefined();
  });
});
