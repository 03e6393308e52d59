/**
 * Drives the linkedin_ads connector against the LinkedIn fake (test/fakes/linkedin): a member per test (its OAuth
 * app, refresh token, faults and request log) with one or more ad accounts under random ids, and the metric
 * functions the fake's rows come from, so tests compute the exact sums they expect.
 */
import { linkedinAdsConnector } from "../../../connectors/linkedin_ads";
import { type LinkedinAdsConfig, linkedinAdsSpec } from "../../../connectors/linkedin_ads/spec";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SyncMode } from "../../../connectors/kit/contract";
import { connectorContext, fakeBase, readPages, streamNamed } from "../../helpers/connector";
import { controlClient } from "../../helpers/fake-control";

export { campaignId, campaignUrn, creativeMetric, creativesOf, creativeUrn, daysBetween } from "../../fakes/linkedin/data";
export { records } from "../../helpers/connector";
export { addDays, todayIn } from "../../../connectors/kit/report";

export const linkedin = () => controlClient(`${fakeBase("linkedin")}/_fake`);

export interface LoggedLinkedinRequest {
  at: number;
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string>;
  form?: Record<string, string>;
  status: number;
  code?: string;
  blocked?: boolean;
}

/** A member of LinkedIn with its own OAuth app and refresh token; `account` adds ad accounts it manages. */
export async function member(input: { rotate?: boolean; access_token_ttl_seconds?: number; access_token?: string } = {}) {
  const id = crypto.randomUUID().slice(0, 8);
  const clientId = `78${id}`;
  const clientSecret = `secret-${id}`;
  const refreshToken = `AQW${crypto.randomUUID().replaceAll("-", "")}`;
  const control = linkedin();
  await control("PUT", `members/${id}`, { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken, ...input });
  return {
    id,
    clientId,
    clientSecret,
    refreshToken,
    async account(shape: { campaigns?: number; creatives_per_campaign?: number; conversions?: number; users?: number } = {}) {
      const accountId = String(500_000_000 + Math.floor(Math.random() * 499_999_999));
      await control("PUT", `accounts/${accountId}`, { member: id, ...shape });
      return {
        id: accountId,
        shape: { id: accountId, campaigns: shape.campaigns ?? 2, creativesPerCampaign: shape.creatives_per_campaign ?? 2 },
        restate: (from: string, factor: number) => control("POST", `accounts/${accountId}/restate`, { from, factor }),
        touch: (ids: number[], status?: string) => control("POST", `accounts/${accountId}/touch`, { ids, status }),
      };
    },
    faults: (faults: Record<string, unknown>) => control("POST", `members/${id}/faults`, faults),
    revoke: () => control("POST", `members/${id}/revoke`),
    expireAccess: () => control("POST", `members/${id}/expire-access`),
    requests: async () => (await control<{ data: LoggedLinkedinRequest[] }>("GET", `members/${id}/requests`)).data,
    liveRefreshTokens: async () => (await control<{ data: string[] }>("GET", `members/${id}/refresh-tokens`)).data,
  };
}
export type Member = Awaited<ReturnType<typeof member>>;
export type AdAccount = Awaited<ReturnType<Member["account"]>>;

export function liConfig(m: Member, accounts: AdAccount[], extra: Record<string, unknown> = {}): LinkedinAdsConfig {
  return linkedinAdsSpec.config.parse({
    account_ids: accounts.map((a) => a.id),
    client_id: m.clientId,
    client_secret: m.clientSecret,
    refresh_token: m.refreshToken,
    ...extra,
  });
}

export function liRequest(name: string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  return { stream: streamNamed(linkedinAdsSpec.streams, name), sync_mode: syncMode, state, checkpoint };
}

export const context = (options: Parameters<typeof connectorContext>[0] = {}, now?: () => Date) => connectorContext(options, now);

export const readAll = (ctx: ConnectorContext, config: LinkedinAdsConfig, request: ReadRequest): Promise<Page[]> => readPages(linkedinAdsConnector, ctx, config, request);

/** API calls only (the token endpoint's are logged too). */
export const apiCalls = (log: LoggedLinkedinRequest[]) => log.filter((r) => r.path.startsWith("/rest/"));
export const tokenCalls = (log: LoggedLinkedinRequest[]) => log.filter((r) => r.path === "/oauth/v2/accessToken");
