/**
 * Drives the ga4 connector against the GA4 part of the Google fake (test/fakes/ga4): a property per test under a
 * random numeric id, viewers by service-account email (key pairs made by the Sheets harness's serviceAccount), and
 * expected figures computed with the fake's own pure figure function.
 */
import { ga4Connector } from "../../../connectors/ga4";
import { type Ga4Config, ga4Spec } from "../../../connectors/ga4/spec";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SyncMode } from "../../../connectors/kit/contract";
import { baseFigure, type LoggedGa4Request, type PropertyInput } from "../../fakes/ga4/ga4";
import { readPages, streamNamed } from "../../helpers/connector";
import { google } from "../google_sheets/harness";

export { records } from "../../helpers/connector";
export { context, google, serviceAccount } from "../google_sheets/harness";
export { baseFigure };

export async function property(input: PropertyInput) {
  const id = String(100_000_000 + Math.floor(Math.random() * 899_999_999));
  const control = google();
  await control("PUT", `ga4/${id}`, input);
  return {
    id,
    restate: (from: string, factor: number) => control("POST", `ga4/${id}/restate`, { from, factor }),
    newHour: () => control("POST", `ga4/${id}/new-hour`),
    requests: async () => (await control<{ data: LoggedGa4Request[] }>("GET", `ga4/${id}/requests`)).data,
  };
}
export type Property = Awaited<ReturnType<typeof property>>;

export function ga4Config(propertyIds: string[], credentials: Record<string, unknown>, extra: Record<string, unknown> = {}): Ga4Config {
  return ga4Spec.config.parse({ property_ids: propertyIds, ...credentials, ...extra });
}

export function ga4Request(config: Ga4Config, name: string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  return { stream: streamNamed(ga4Spec.streamsFromConfig(config), name), sync_mode: syncMode, state, checkpoint };
}

export const readAll = (ctx: ConnectorContext, config: Ga4Config, request: ReadRequest): Promise<Page[]> => readPages(ga4Connector, ctx, config, request);

/** Today in an IANA zone, as GA4 dates its rows. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export const SOURCES = ["google", "(direct)", "newsletter"];
export const MEDIUMS = ["organic", "(none)", "email"];
