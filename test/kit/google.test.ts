/**
 * kit/google.ts: Google's error bodies parsed and classified once for every Google reader (RetryInfo, QuotaFailure,
 * ErrorInfo reasons, the token endpoint's invalid_grant), and the credentials a config gives.
 */
import { describe, expect, it } from "vitest";
import { googleAuth, googleErrorClassifier, googlePrincipal, parseGoogleError } from "../../connectors/kit/google";

const classify = googleErrorClassifier({ product: "Example API", permissionHint: "Grant the reader access." });
const body = (error: Record<string, unknown>) => JSON.stringify({ error });

describe("Google error bodies", () => {
  it("reads status, message, ErrorInfo reasons, QuotaFailure violations and RetryInfo", () => {
    const parsed = parseGoogleError(
      body({
        code: 429,
        message: "Quota exceeded",
        status: "RESOURCE_EXHAUSTED",
        details: [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "RATE_LIMIT_EXCEEDED", domain: "googleapis.com" },
          { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ subject: "project:1", description: "Read requests per minute" }] },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "17s" },
        ],
      }),
    );
    expect(parsed).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED", message: "Quota exceeded", reasons: ["RATE_LIMIT_EXCEEDED"], quotaViolations: ["Read requests per minute"], retryDelaySeconds: 17 });
    // searchStream wraps its error in a one-element array.
    expect(parseGoogleError(JSON.stringify([{ error: { code: 403, status: "PERMISSION_DENIED", message: "no" } }]))).toMatchObject({ status: "PERMISSION_DENIED" });
    expect(parseGoogleError("<html>502</html>")).toEqual({ reasons: [], quotaViolations: [] });
  });

  it("classifies: quota waits for retryDelay, permissions and bad requests are the user's to fix, 5xx retry", () => {
    const quota = classify(429, body({ code: 429, status: "RESOURCE_EXHAUSTED", message: "slow down", details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2.5s" }] }), new Headers());
    expect(quota).toMatchObject({ kind: "retryable", details: { retryAfterSeconds: 2.5 } });
    expect(classify(403, body({ code: 403, status: "PERMISSION_DENIED", message: "The caller does not have permission" }), new Headers())).toMatchObject({
      kind: "configuration",
      message: "Example API denied access (PERMISSION_DENIED): The caller does not have permission. Grant the reader access.",
    });
    expect(classify(403, body({ code: 403, status: "PERMISSION_DENIED", message: "off", details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SERVICE_DISABLED" }] }), new Headers())?.message).toContain(
      "Enable the API in the console",
    );
    expect(classify(400, body({ code: 400, status: "INVALID_ARGUMENT", message: "Unable to parse range" }), new Headers())).toMatchObject({ kind: "configuration" });
    expect(classify(503, body({ code: 503, status: "UNAVAILABLE", message: "try later" }), new Headers())).toMatchObject({ kind: "retryable" });
    expect(classify(400, JSON.stringify({ error: "invalid_grant", error_description: "Token has been expired or revoked." }), new Headers())).toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("authorize again, or create a new key"),
    });
  });

  it("takes the key file or the OAuth fields, and names the quota's principal", () => {
    const key = JSON.stringify({ type: "service_account", client_email: "a@p.iam.gserviceaccount.com", private_key: "-----BEGIN PRIVATE KEY-----\nMII=\n-----END PRIVATE KEY-----\n" });
    expect(googlePrincipal({ service_account_json: key })).toBe("sa:a@p.iam.gserviceaccount.com");
    expect(googlePrincipal({ client_id: "c1", client_secret: "s", refresh_token: "r" })).toBe("oauth:c1");
    expect(() => googleAuth({}, { client_id: "c1" }, [])).toThrow(/credentials are incomplete/);
    expect(() => googleAuth({}, { service_account_json: "{" }, [])).toThrow(/not valid JSON/);
    expect(googleAuth({}, { service_account_json: key }, ["s"]).secretValues()).toContain(JSON.parse(key).private_key);
  });
});
