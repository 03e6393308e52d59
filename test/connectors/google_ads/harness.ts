/**
 * Drives the google_ads connector against the Ads part of the Google fake (test/fakes/google-ads): customers under
 * random ids, developer tokens, service accounts with key pairs made here (the Sheets harness's serviceAccount).
 */
import { googleAdsConnector } from "../../../connectors/google_ads";
import { type GoogleAdsConfig, googleAdsSpec } from "../../../connectors/google_ads/spec";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SyncMode } from "../../../connectors/kit/contract";
import type { CustomerInput, LoggedAdsRequest } from "../../fakes/google-ads/ads";
import { readPages, streamNamed } from "../../helpers/connector";
import { google } from "../google_sheets/harness";

export { adsMetric } from "../../fakes/google-ads/ads";
export { records } from "../../helpers/connector";
export { context, google, serviceAccount } from "../google_sheets/harness";
export { addDays, days, todayIn } from "../ga4/harness";

export async function developerToken(approved = true): Promise<string> {
  const token = `dev-${crypto.randomUUID().slice(0, 12)}`;
  await google()("POST", "ads/developer-tokens", { token, approved });
  return token;
}

export async function customer(input: CustomerInput, id = String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999))) {
  const control = google();
  await control("PUT", `ads/customers/${id}`, input);
  return {
    id,
    dashed: `${id.slice(0, 3)}-${id.slice(3, 6)}-${id.slice(6)}`,
    restate: (from: string, factor: number) => control("POST", `ads/customers/${id}/restate`, { from, factor }),
    faults: (faults: { quota?: number; cut_after_batches?: number | null }) => control("POST", `ads/customers/${id}/faults`, faults),
    requests: async () => (await control<{ data: LoggedAdsRequest[] }>("GET", `ads/customers/${id}/requests`)).data,
  };
}
export type Customer = Awaited<ReturnType<typeof customer>>;

export function adsConfig(customerIds: string[], credentials: Record<string, unknown>, extra: Record<string, unknown> = {}): GoogleAdsConfig {
  return googleAdsSpec.config.parse({ customer_ids: customerIds, ...credentials, ...extra });
}

export function adsRequest(config: GoogleAdsConfig, name: string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  return { stream: streamNamed(googleAdsSpec.streamsFromConfig(config), name), sync_mode: syncMode, state, checkpoint };
}

export const readAll = (ctx: ConnectorContext, config: GoogleAdsConfig, request: ReadRequest): Promise<Page[]> => readPages(googleAdsConnector, ctx, config, request);
