import { startFakeRestApi } from "./rest-api/server";
import { startHubSpotFake } from "./hubspot/server";
import { startLimitsApiFake } from "./limits-api/server";
import { startPostgresAuthFake } from "./postgres-auth/server";
import { startSalesforceFake } from "./salesforce/server";
import { startStripeFake } from "./stripe/server";
import { startS3Server } from "./s3/server";
import { startKitFake } from "./kit/server";
import { startKlaviyoFake } from "./klaviyo/server";
import { startMailchimpFake } from "./mailchimp/server";
import { startSnowflakeFake } from "./snowflake/server";
import { startBigQueryFake } from "./bigquery/server";
import { startDatabricksFake } from "./databricks/server";
import { startWebhookReceiver } from "./webhook-receiver/server";
import { startShopifyFake } from "./shopify/server";
import { type GoogleFake, startGoogleFake } from "./google-oauth/server";
import { startFacebookFake } from "./facebook/server";
import { startLinkedinFake } from "./linkedin/server";

/** The registry of fake servers started for the test run; each entry owns its own folder under test/fakes. */
export interface RunningFake {
  name: string;
  port: number;
  /** Production hostnames this fake answers for (HOST_OVERRIDES keys). */
  hosts: string[];
  close(): Promise<void>;
}

type FakeStarter = () => Promise<RunningFake>;

const starters: FakeStarter[] = [() => startFakeRestApi(), () => startSalesforceFake(), () => startStripeFake(), () => startHubSpotFake(), () => startPostgresAuthFake(), () => startLimitsApiFake(), () => startS3Server(), () => startKitFake(), () => startKlaviyoFake(), () => startMailchimpFake()];
// The warehouse fakes (Snowflake, BigQuery, Databricks REST APIs over DuckDB).
// One Google fake for the run: its token endpoint's tokens are what BigQuery accepts, as Google's are.
let google: Promise<GoogleFake> | undefined;
const googleFake = () => (google ??= startGoogleFake());
starters.push(() => startSnowflakeFake(), async () => startBigQueryFake(0, (await googleFake()).issuer), () => startDatabricksFake());
// The receiver of the workspace webhooks' deliveries.
starters.push(() => startWebhookReceiver());
starters.push(() => startShopifyFake());
// Google's token endpoint and the Sheets, GA4 and Ads APIs (one server: they share the tokens it issues).
starters.push(() => googleFake());
// Meta's Graph (Marketing) API.
starters.push(() => startFacebookFake());
// LinkedIn's Marketing API and its OAuth token endpoint (one server: they share the tokens it issues).
starters.push(() => startLinkedinFake());

export async function startFakes() {
  const running = await Promise.all(starters.map((start) => start()));
  const hostOverrides: Record<string, string> = {};
  const ports: Record<string, number> = {};
  for (const fake of running) {
    ports[fake.name] = fake.port;
    for (const host of fake.hosts) hostOverrides[host] = `http://127.0.0.1:${fake.port}`;
  }
  return {
    hostOverrides,
    ports,
    close: async () => {
      await Promise.all(running.map((fake) => fake.close()));
    },
  };
}
