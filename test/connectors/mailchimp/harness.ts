/**
 * Drives the mailchimp connector against the Mailchimp fake (test/fakes/mailchimp) the way the engine does: a
 * development client with HOST_OVERRIDES (`*.api.mailchimp.com` and login.mailchimp.com), so the connector
 * addresses `https://<dc>.api.mailchimp.com/3.0` and reaches the fake, which reads the data center from
 * X-Forwarded-Host. One fake tenant per test; the API key `<tenant>-<dc>` names it.
 */
import type { ConnectorContext, Page, ReadRequest } from "../../../connectors/kit/contract";
import type { HttpClientOptions } from "../../../connectors/kit/http";
import { mailchimpConnector } from "../../../connectors/mailchimp";
import { type MailchimpConfig, mailchimpSpec } from "../../../connectors/mailchimp/spec";
import type { LoggedRequest } from "../../fakes/mailchimp/server";
import { connectorContext, fakeBase, readPages, readRequestFor, streamNamed } from "../../helpers/connector";
import { controlClient } from "../../helpers/fake-control";

export { records } from "../../helpers/connector";
export type { LoggedRequest };

export interface Truth {
  lists: any[];
  members: Record<string, any[]>;
  segments: Record<string, any[]>;
  campaigns: any[];
  reports: any[];
  activity: Record<string, any[]>;
  unsubscribes: Record<string, any[]>;
  automations: any[];
}

export function tenant(dc = "us21") {
  const name = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  const control = controlClient(`${fakeBase("mailchimp")}/_fake/${name}`);
  return {
    name,
    dc,
    key: `${name}-${dc}`,
    control,
    seed: (body: { counts?: Record<string, unknown>; now?: number } = {}) =>
      control<{ lists: Array<{ id: string; members: number }> }>("POST", "seed", { dc, ...body }),
    mutate: (body: Record<string, unknown>) => control<{ time: number; created: string[]; updated: string[] }>("POST", "mutate", body),
    faults: (body: Record<string, unknown>) => control("POST", "faults", body),
    served: async () => (await control("GET", "faults")).served as Record<string, number>,
    oauth: (token: string) => control("POST", "oauth", { access_token: token }),
    requests: async () => (await control<{ data: LoggedRequest[] }>("GET", "requests")).data,
    clearRequests: () => control("DELETE", "requests"),
    truth: () => control<Truth>("GET", "objects"),
  };
}
export type Tenant = ReturnType<typeof tenant>;

export function mailchimpConfig(t: Tenant, extra: Record<string, unknown> = {}): MailchimpConfig {
  return mailchimpSpec.config.parse({ api_key: t.key, ...extra });
}

export function context(options: Partial<HttpClientOptions> & { at?: Date } = {}) {
  const { at, ...client } = options;
  const clock = at ?? new Date();
  return connectorContext(client, () => clock);
}

export const readRequest = readRequestFor((name) => streamNamed(mailchimpSpec.streams, name));

export const readAll = (ctx: ConnectorContext, config: MailchimpConfig, request: ReadRequest): Promise<Page[]> => readPages(mailchimpConnector, ctx, config, request);

export const secondsOf = (iso: unknown) => Date.parse(String(iso)) / 1000;
export const mailchimpTime = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "+00:00");
