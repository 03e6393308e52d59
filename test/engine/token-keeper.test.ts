/**
 * The TokenKeeper Durable Object against real D1 and DO storage, with the token request played by the test: cached
 * tokens, one renewal for concurrent callers, a rotated refresh token saved over the loader's, a stale config read
 * ignored, a user's new authorization adopted, and token-endpoint failures carried across RPC with their kind.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TokenResponse } from "../../connectors/kit/oauth2";
import { ConnectorError } from "../../connectors/kit/errors";
import { tokenKeeper } from "../../src/engine/dispatch";
import { tokenStoreFor } from "../../src/engine/token-store";
import { serviceContext } from "../../src/services/context";
import { getLoaderRow, openLoaderConfig } from "../../src/services/loaders/loader-store";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";
import { createLoader, uniqueName } from "../helpers/engine";

const FIELD = "refresh_token";
const INSTANCE = "https://acme.my.salesforce.com";

async function salesforceLoader(refreshToken: string) {
  const owner = await bootstrapWorkspace();
  const loader = await createLoader(owner, {
    name: "keeper",
    loader_type: "salesforce",
    source_id: await createD1Source(owner),
    config: { instance_url: INSTANCE, client_id: "cid", client_secret: "csecret", refresh_token: refreshToken },
    target_schema: uniqueName("KEEP"),
    selected_streams: [{ name: "Account" }],
    sync_mode: "full_refresh",
  });
  const ref = { workspaceId: owner.workspace.id as string, loaderId: loader.id as string };
  const stored = async () => {
    const ctx = serviceContext(env, { kind: "system", reason: "engine" });
    return (await openLoaderConfig(ctx, await getLoaderRow(ctx, ref.workspaceId, ref.loaderId))).refresh_token;
  };
  return { owner, loader, ref, store: tokenStoreFor(env, ref), stored };
}

/** A token endpoint script: each call answers the next response and records the refresh token it was given. */
function endpoint(responses: TokenResponse[]) {
  const spent: string[] = [];
  return {
    spent,
    obtain: async (refreshToken: string) => {
      spent.push(refreshToken);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const next = responses.shift();
      if (!next) throw new Error("script exhausted");
      return next;
    },
  };
}

describe("TokenKeeper", () => {
  it("renews once for concurrent callers, hands the live token out until it is refused, and never returns a refresh token", async () => {
    const { store } = await salesforceLoader("rt-1");
    const { spent, obtain } = endpoint([
      { access_token: "a1", expires_in: 3600 },
      { access_token: "a2", expires_in: 3600 },
    ]);
    const answers = await Promise.all([1, 2, 3, 4].map(() => store.token({ field: FIELD, refreshToken: "rt-1" }, obtain)));
    expect(answers.map((a) => a.access_token)).toEqual(["a1", "a1", "a1", "a1"]);
    expect(spent).toEqual(["rt-1"]);
    // Later callers see the remaining life, not the original one.
    expect(Number(answers[3]!.expires_in)).toBeLessThanOrEqual(3600);

    // Two chunks refused with a1 at once: one renewal, and the second gets a2 without another.
    const renewed = await Promise.all([1, 2].map(() => store.token({ field: FIELD, refreshToken: "rt-1", rejected: "a1" }, obtain)));
    expect(renewed.map((a) => a.access_token)).toEqual(["a2", "a2"]);
    expect(spent).toEqual(["rt-1", "rt-1"]);
    expect(renewed.every((a) => a.refresh_token === undefined)).toBe(true);
  });

  it("saves a rotated refresh token into the loader, renews with it even for chunks that read the old config, and adopts a user's new one", async () => {
    const { owner, loader, store, stored } = await salesforceLoader("rt-1");
    const { spent, obtain } = endpoint([
      { access_token: "a1", refresh_token: "rt-2", instance_url: "https://acme.my.salesforce.com" },
      { access_token: "a2", refresh_token: "rt-3" },
      { access_token: "a3", refresh_token: "rt-user~1" },
    ]);
    const first = await store.token({ field: FIELD, refreshToken: "rt-1" }, obtain);
    expect(first).toEqual({ access_token: "a1", instance_url: "https://acme.my.salesforce.com" });
    expect(await stored()).toBe("rt-2");

    // A chunk that read the config before the save still names rt-1: the keeper renews with rt-2.
    await store.token({ field: FIELD, refreshToken: "rt-1", rejected: "a1" }, obtain);
    expect(spent).toEqual(["rt-1", "rt-2"]);
    expect(await stored()).toBe("rt-3");

    // The user authorizes again and saves a token the keeper has never seen: it replaces everything held.
    const put = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { config: { instance_url: INSTANCE, client_id: "cid", client_secret: "csecret", refresh_token: "rt-user" } } });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    const adopted = await store.token({ field: FIELD, refreshToken: "rt-user" }, obtain);
    expect(adopted.access_token).toBe("a3");
    expect(spent).toEqual(["rt-1", "rt-2", "rt-user"]);
    expect(await stored()).toBe("rt-user~1");
  });

  it("carries a token-endpoint failure across RPC with its kind, and drops a refused access token", async () => {
    const { store } = await salesforceLoader("rt-1");
    const granted = endpoint([{ access_token: "a1" }]);
    expect((await store.token({ field: FIELD, refreshToken: "rt-1" }, granted.obtain)).access_token).toBe("a1");

    const revoked = async (): Promise<TokenResponse> => {
      throw new ConnectorError("configuration", "could not obtain an access token: invalid_grant", { status: 400 });
    };
    const error = await store.token({ field: FIELD, refreshToken: "rt-1", rejected: "a1" }, revoked).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ kind: "configuration", message: "could not obtain an access token: invalid_grant", details: { status: 400 } });
    // a1 was refused by the API: it is not handed out again, the next caller renews.
    const again = endpoint([{ access_token: "a2" }]);
    expect((await store.token({ field: FIELD, refreshToken: "rt-1" }, again.obtain)).access_token).toBe("a2");
    expect(again.spent).toEqual(["rt-1"]);
  });

  it("holds its tokens sealed, and forgets them when the loader is deleted", async () => {
    const { owner, loader, ref, store } = await salesforceLoader("rt-plain-1");
    await store.token({ field: FIELD, refreshToken: "rt-plain-1" }, endpoint([{ access_token: "access-plain-1", refresh_token: "rt-plain-2" }]).obtain);
    const held = () => runInDurableObject(tokenKeeper(env, ref.loaderId), async (_instance, state) => [...(await state.storage.list<string>()).entries()]);
    const stored = await held();
    expect(stored.map(([key]) => key)).toEqual(["held:refresh_token"]);
    expect(stored[0]![1]).toMatch(/^v1:k1:/);
    for (const secret of ["rt-plain-1", "rt-plain-2", "access-plain-1"]) expect(stored[0]![1]).not.toContain(secret);

    expect((await as(owner)(`/loaders/${loader.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await held()).toEqual([]);
  });
});
