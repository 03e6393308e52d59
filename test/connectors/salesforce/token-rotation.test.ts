/**
 * Refresh-token rotation (Salesforce connected apps with rotation on): every refresh answers a new refresh token and
 * kills the old one. Parallel streams across chunks must renew through the loader's TokenKeeper — one renewal at a
 * time, always with the newest token — and the newest token must land in the loader's sealed config, so the next
 * run signs in. Without the keeper the second chunk to refresh gets invalid_grant and the loader is lost.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { serviceContext } from "../../../src/services/context";
import { getLoaderRow, openLoaderConfig } from "../../../src/services/loaders/loader-store";
import { as, bootstrapWorkspace, createD1Source } from "../../helpers/api";
import { createLoader, triggerAndWait, uniqueName } from "../../helpers/engine";
import { CLIENT_ID, CLIENT_SECRET, org, SMALL } from "./harness";

const TOKEN_PATH = "/services/oauth2/token";

async function storedRefreshToken(workspaceId: string, loaderId: string): Promise<unknown> {
  const ctx = serviceContext(env, { kind: "system", reason: "engine" });
  return (await openLoaderConfig(ctx, await getLoaderRow(ctx, workspaceId, loaderId))).refresh_token;
}

describe("salesforce with refresh-token rotation", () => {
  it("parallel streams renew one at a time with the newest token, which is saved into the loader for the next run", async () => {
    const owner = await bootstrapWorkspace();
    const o = org("rotation");
    // 9,000 accounts are five pages: two chunks (CHUNK_MAX_PAGES is 4 in tests), beside two one-page streams.
    await o.seed({ ...SMALL, Account: 9000 });
    await o.faults({ rotate_refresh_token: true });
    const loader = await createLoader(owner, {
      name: "Salesforce with rotation",
      loader_type: "salesforce",
      source_id: await createD1Source(owner),
      config: { instance_url: "https://mycompany.my.salesforce.com", client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: o.refreshToken },
      target_schema: uniqueName("SF_ROT"),
      selected_streams: [
        { name: "Account", sync_mode: "full_refresh" },
        { name: "Contact", sync_mode: "full_refresh" },
        { name: "Lead", sync_mode: "full_refresh" },
      ],
      sync_mode: "full_refresh",
    });

    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", rows_loaded: 9000 + SMALL.Contact + SMALL.Lead, streams_failed: 0 });
    // Salesforce announces no expiry, so one sign-in serves every chunk of every stream.
    const firstTokens = (await o.requests()).filter((r) => r.path === TOKEN_PATH);
    expect(firstTokens.map((r) => [new URLSearchParams(r.body ?? "").get("refresh_token"), r.status])).toEqual([[o.refreshToken, 200]]);
    expect(await storedRefreshToken(owner.workspace.id, loader.id)).toBe(`${o.refreshToken}~1`);
    // The rotated token is a secret like the first: never in a response.
    const shown = await as(owner)(`/loaders/${loader.id}`);
    expect(JSON.stringify(shown.json)).not.toContain(o.refreshToken);

    // Sessions now die every 3 API calls: every chunk of every stream hits 401s and asks for a new token at once.
    await o.clearRequests();
    await o.faults({ token_ttl_requests: 3 });
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", rows_loaded: 9000 + SMALL.Contact + SMALL.Lead, streams_failed: 0 });
    const renewals = (await o.requests()).filter((r) => r.path === TOKEN_PATH);
    expect(renewals.length).toBeGreaterThan(1);
    // Each renewal spent the token the previous one issued: no invalid_grant, no token used twice.
    expect(renewals.map((r) => [new URLSearchParams(r.body ?? "").get("refresh_token"), r.status])).toEqual(
      renewals.map((_, i) => [`${o.refreshToken}~${i + 1}`, 200]),
    );
    // Fewer renewals than refused requests: chunks that met a 401 together shared one renewal.
    const refused = (await o.requests()).filter((r) => r.status === 401).length;
    expect(renewals.length).toBeLessThanOrEqual(refused);
    expect(await storedRefreshToken(owner.workspace.id, loader.id)).toBe(`${o.refreshToken}~${renewals.length + 1}`);
  });
});
