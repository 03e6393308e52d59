/**
 * Drives the google_sheets connector against the Google fake (test/fakes/google-oauth/server.ts): a key pair made
 * here for each service account (the fake verifies the assertion's signature with the public half), a spreadsheet
 * per test under a random id, and the engine's side of a read with waits recorded instead of slept.
 */
import { env } from "cloudflare:workers";
import { googleSheetsConnector } from "../../../connectors/google_sheets";
import { type GoogleSheetsConfig, googleSheetsSpec } from "../../../connectors/google_sheets/spec";
import type { ConnectorContext, Page, ReadRequest, StreamSpec } from "../../../connectors/kit/contract";
import { hostOverridesFromJson } from "../../../connectors/kit/host-policy";
import type { HttpClientOptions } from "../../../connectors/kit/http";
import type { Cell, GridRange, LoggedSheetsRequest } from "../../fakes/google-sheets/sheets";
import { connectorContext, fakeBase, readPages } from "../../helpers/connector";
import { controlClient } from "../../helpers/fake-control";

export { records } from "../../helpers/connector";
export type { Cell, LoggedSheetsRequest };

export const google = () => controlClient(`${fakeBase("google")}/_fake`);

const pem = (label: string, der: ArrayBuffer) => {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, "$&\n")}\n-----END ${label}-----\n`;
};

/**
 * A service account whose key pair is made here: the fake knows only the public key. The key file names Google's
 * www.googleapis.com token endpoint as its token_uri: in the shared HOST_OVERRIDES oauth2.googleapis.com is the
 * BigQuery fake's.
 */
export async function serviceAccount(prefix = "reader") {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const privateKey = pem("PRIVATE KEY", (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const publicKey = pem("PUBLIC KEY", (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const email = `${prefix}-${crypto.randomUUID().slice(0, 8)}@loaders-test.iam.gserviceaccount.com`;
  await google()("POST", "google/service-accounts", { client_email: email, public_key_pem: publicKey });
  const json = JSON.stringify({
    type: "service_account",
    project_id: "loaders-test",
    private_key_id: crypto.randomUUID().replaceAll("-", ""),
    private_key: privateKey,
    client_email: email,
    client_id: "1234567890",
    token_uri: "https://www.googleapis.com/oauth2/v4/token",
  });
  return { email, json, revoke: () => google()("POST", "google/service-accounts/revoke", { client_email: email }) };
}
export type ServiceAccount = Awaited<ReturnType<typeof serviceAccount>>;

export interface TabInput {
  title: string;
  rows?: Cell[][];
  generate?: { rows: number };
  merges?: GridRange[];
  rowCount?: number;
  columnCount?: number;
}

export async function spreadsheet(sharedWith: string[], sheets: TabInput[]) {
  const id = `1${crypto.randomUUID().replaceAll("-", "")}xyz`;
  const control = google();
  await control("PUT", `sheets/${id}`, { title: "Test book", shared_with: sharedWith, sheets });
  return {
    id,
    edit: (title: string, edits: Array<{ row: number; values: Cell[] }>) => control("POST", `sheets/${id}/edit`, { title, edits }),
    faults: (faults: { quota?: number; unavailable?: number }) => control("POST", `sheets/${id}/faults`, faults),
    requests: async () => (await control<{ data: LoggedSheetsRequest[] }>("GET", `sheets/${id}/requests`)).data,
  };
}
export type Book = Awaited<ReturnType<typeof spreadsheet>>;

export function sheetsConfig(spreadsheetId: string, credentials: Record<string, unknown>, extra: Record<string, unknown> = {}): GoogleSheetsConfig {
  return googleSheetsSpec.config.parse({ spreadsheet_id: spreadsheetId, ...credentials, ...extra });
}

const vars = env as unknown as { HOST_OVERRIDES?: string };

/** The engine's side; `oauthHost` routes oauth2.googleapis.com to the Google fake (refresh-token tests). */
export function context(options: Partial<HttpClientOptions> & { oauthHost?: boolean } = {}) {
  const { oauthHost, ...client } = options;
  const hostOverrides = { ...hostOverridesFromJson(vars.HOST_OVERRIDES), ...(oauthHost ? { "oauth2.googleapis.com": fakeBase("google") } : {}) };
  return connectorContext({ hostOverrides, ...client });
}

export function tabRequest(stream: StreamSpec | string, checkpoint: ReadRequest["checkpoint"] = null): ReadRequest {
  const spec = typeof stream === "string" ? { name: stream, primary_key: ["_row_number"], cursor_field: null, supported_sync_modes: ["full_refresh" as const] } : stream;
  return { stream: spec, sync_mode: "full_refresh", state: null, checkpoint };
}

export const readAll = (ctx: ConnectorContext, config: GoogleSheetsConfig, request: ReadRequest): Promise<Page[]> => readPages(googleSheetsConnector, ctx, config, request);
