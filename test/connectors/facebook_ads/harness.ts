/**
 * Drives the facebook_ads connector against the Facebook fake (test/fakes/facebook): an ad account per test under a
 * random id with its own token, its faults, restatements and request log, and the metric functions the fake's rows
 * come from, so tests compute the exact sums they expect.
 */
import { facebookAdsConnector } from "../../../connectors/facebook_ads";
import { type FacebookAdsConfig, facebookAdsSpec } from "../../../connectors/facebook_ads/spec";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SyncMode } from "../../../connectors/kit/contract";
import { connectorContext, fakeBase, readPages, streamNamed } from "../../helpers/connector";
import { controlClient } from "../../helpers/fake-control";

export { adsOf, combinations, daysBetween, insightMetric } from "../../fakes/facebook/data";
export { records } from "../../helpers/connector";
export { addDays, todayIn } from "../../../connectors/kit/report";

export const facebook = () => controlClient(`${fakeBase("facebook")}/_fake`);

export interface LoggedGraphRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  code?: number;
  blocked?: boolean;
}

export interface FakeJob {
  id: string;
  since: string;
  until: string;
  level: string;
  breakdowns: string[];
  status: string;
  polls: number;
}

export async function adAccount(input: { campaigns?: number; adsets_per_campaign?: number; ads_per_adset?: number; time_zone?: string; token?: string } = {}) {
  const id = String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
  const token = input.token ?? `EAAB${crypto.randomUUID().replaceAll("-", "")}`;
  const control = facebook();
  await control("PUT", `accounts/${id}`, { token, time_zone: "America/Los_Angeles", ...input });
  return {
    id,
    token,
    shape: { id, campaigns: input.campaigns ?? 2, adsetsPerCampaign: input.adsets_per_campaign ?? 1, adsPerAdset: input.ads_per_adset ?? 2 },
    faults: (faults: Record<string, unknown>) => control("POST", `accounts/${id}/faults`, faults),
    restate: (from: string, factor: number) => control("POST", `accounts/${id}/restate`, { from, factor }),
    touch: (ids: string[], effective_status?: string) => control("POST", `accounts/${id}/touch`, { ids, effective_status }),
    expireToken: () => control("POST", `tokens/${token}/expire`),
    requests: async () => (await control<{ data: LoggedGraphRequest[] }>("GET", `accounts/${id}/requests`)).data,
    jobs: async () => (await control<{ data: FakeJob[] }>("GET", `accounts/${id}/jobs`)).data,
  };
}
export type AdAccount = Awaited<ReturnType<typeof adAccount>>;

export function fbConfig(accounts: AdAccount[], extra: Record<string, unknown> = {}): FacebookAdsConfig {
  return facebookAdsSpec.config.parse({ account_ids: accounts.map((a) => `act_${a.id}`), access_token: accounts[0]!.token, ...extra });
}

export function fbRequest(config: FacebookAdsConfig, name: string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  return { stream: streamNamed(facebookAdsSpec.streamsFromConfig(config), name), sync_mode: syncMode, state, checkpoint };
}

export const context = (options: Parameters<typeof connectorContext>[0] = {}, now?: () => Date) => connectorContext(options, now);

export const readAll = (ctx: ConnectorContext, config: FacebookAdsConfig, request: ReadRequest): Promise<Page[]> => readPages(facebookAdsConnector, ctx, config, request);
