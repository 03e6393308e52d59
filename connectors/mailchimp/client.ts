/**
 * The one http client a Mailchimp read uses: the engine's client on the account's data center
 * (`https://<dc>.api.mailchimp.com/3.0`), HTTP Basic with the API key (any user name) or the OAuth bearer, Mailchimp's
 * error shapes, and — where the engine provides a shared budget — one of the account's 10 connections held for
 * each request (DESIGN §5.4; without it the kit reads one request at a time, well inside the limit).
 */
import { type AuthProvider, basic, bearer } from "../kit/auth";
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { meteredClient, slotMeter } from "../kit/metered";
import { classifyMailchimpError } from "./errors";
import type { MailchimpConfig } from "./spec";

/** research §6 "Rate limits": at most 10 simultaneous connections per user. */
export const MAX_CONNECTIONS = 10;
/** Where an OAuth token's data center is found (research §6 "Auth"). */
export const METADATA_URL = "https://login.mailchimp.com/oauth2/metadata";

/** The data center: the API key's suffix, else the configured one, else the OAuth metadata endpoint's answer. */
export async function dataCenter(ctx: ConnectorContext, config: MailchimpConfig): Promise<string> {
  if (config.api_key) return config.api_key.slice(config.api_key.lastIndexOf("-") + 1);
  if (config.data_center) return config.data_center;
  if (!config.access_token) throw new ConnectorError("configuration", "Mailchimp credentials are missing: give api_key or access_token");
  const answer = await ctx.http.getJson<{ dc?: unknown; error?: unknown }>({ url: METADATA_URL, headers: { authorization: `OAuth ${config.access_token}` } });
  // An unknown token answers 200 with {"error": "invalid_token"}.
  if (typeof answer?.dc !== "string" || !/^[a-z]+\d+$/.test(answer.dc)) {
    const why = typeof answer?.error === "string" ? answer.error : "no data center in the answer";
    throw new ConnectorError("configuration", `Mailchimp's OAuth metadata endpoint did not accept the access_token (${why}); reconnect the OAuth app`);
  }
  return answer.dc;
}

function mailchimpAuth(config: MailchimpConfig): AuthProvider {
  if (config.api_key) return basic("loaders", config.api_key);
  if (config.access_token) return bearer(config.access_token);
  throw new ConnectorError("configuration", "Mailchimp credentials are missing: give api_key or access_token");
}

/** The client, on `known` (a data center an earlier chunk of the read found) or the one `dataCenter` finds. */
export async function mailchimpClient(ctx: ConnectorContext, config: MailchimpConfig, known?: string): Promise<{ http: HttpClient; dc: string }> {
  const dc = known && /^[a-z]+\d+$/.test(known) && !config.api_key ? known : await dataCenter(ctx, config);
  const http = ctx.http.extend({ baseUrl: `https://${dc}.api.mailchimp.com/3.0`, auth: mailchimpAuth(config), classifyError: classifyMailchimpError });
  return { http: ctx.budget ? meteredClient(http, slotMeter(ctx.budget, `mailchimp:${dc}:connections`, MAX_CONNECTIONS)) : http, dc };
}
