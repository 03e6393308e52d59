import { describe, expect, it } from "vitest";
import { stripeConnector } from "../../../connectors/stripe";
import { stripeStream } from "../../../connectors/stripe/streams";
import { servedLoaderType, servedStreams } from "../../helpers/connector";
import { script, reply, testClient } from "../../kit/fake-fetch";
import { API_VERSION, context, readAll, readRequest, records, SMALL_COUNTS, stripeConfig, tenant } from "./harness";

/** Objects the fake serves (README: disputes and coupons are not implemented there). */
const FAKE_SERVES = new Set(["customers", "charges", "payment_intents", "invoices", "subscriptions", "balance_transactions", "refunds", "payouts", "products", "prices", "events"]);

describe("the stripe catalog is what the connector reads", () => {
  it("GET /loader-types serves exactly the connector's streams, each with an endpoint", async () => {
    const entry = await servedLoaderType("stripe");
    expect(entry).toMatchObject({ api_version: API_VERSION, auth_method: "api_key", secret_fields: ["api_key"] });
    expect(entry.streams).toEqual(servedStreams(stripeConnector.streams));
    for (const s of entry.streams) expect(stripeStream(s.name), s.name).toBeDefined();
  });

  it.each(stripeConnector.streams.filter((s) => FAKE_SERVES.has(s.name)).map((s) => s.name))("%s reads in full from the fake, exactly its records", async (name) => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const got = records(await readAll(context().ctx, stripeConfig(t), readRequest(name, "full_refresh")));
    const truth = (await t.objects(name)).data;
    // The fake's events ground truth ignores retention; the API lists the last 30 days only.
    const { now } = await t.account();
    const expected = name === "events" ? truth.filter((e) => e.created >= now - 30 * 86_400) : truth;
    expect(expected.length).toBeGreaterThan(0);
    expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    const path = name === "events" ? "/v1/events" : `/v1/${name}`;
    expect((await t.requests()).every((r) => r.path === path && r.status === 200)).toBe(true);
  });

  it.each(["disputes", "coupons"])("%s (not in the fake) reads Stripe's list envelope from its endpoint", async (name) => {
    const object = name.replace(/s$/, "");
    const first = [1, 2].map((n) => ({ id: `${object}_${n}`, object, created: 1_800_000_100 - n }));
    const second = [{ id: `${object}_3`, object, created: 1_800_000_000 }];
    const { http, sent } = testClient(
      script(
        reply(200, { object: "list", url: `/v1/${name}`, has_more: true, data: first }),
        reply(200, { object: "list", url: `/v1/${name}`, has_more: false, data: second }),
      ),
    );
    const now = new Date(1_800_000_600_000);
    const ctx = { http, signal: new AbortController().signal, now: () => now };
    const got = records(await readAll(ctx, { api_key: "sk_test_catalog", lookback_window_days: 0 }, readRequest(name, "full_refresh")));
    expect(got).toEqual([...first, ...second].map((r) => ({ ...r, updated: 1_800_000_300 })));
    expect(sent.map((r) => r.url)).toEqual([
      `https://api.stripe.com/v1/${name}?limit=100`,
      `https://api.stripe.com/v1/${name}?limit=100&starting_after=${object}_2`,
    ]);
    expect(sent[0]!.headers).toMatchObject({ authorization: "Bearer sk_test_catalog", "stripe-version": API_VERSION });
  });
});
