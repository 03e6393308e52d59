/**
 * The Google fake: Google's token endpoint (./issuer.ts) and the Google APIs the readers use (Sheets in
 * ../google-sheets), on one node:http server, since they share the tokens it issues. It answers for both token hosts,
 * oauth2.googleapis.com (`/token`) and www.googleapis.com (`/oauth2/v4/token`, which Google still serves and key files
 * may name as `token_uri`), and for sheets.googleapis.com, analyticsdata.googleapis.com (../ga4) and
 * googleads.googleapis.com (../google-ads). The BigQuery fake checks tokens with this fake's `issuer` (the test run
 * hands it over), so one service account's token works on every Google API. Requests are routed by path: the APIs'
 * paths do not overlap. Control endpoints under /_fake/ (README.md).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";
import { ApiFailure, SheetsFake, type SpreadsheetInput } from "../google-sheets/sheets";
import { AdsFake, type CustomerInput } from "../google-ads/ads";
import { Ga4Fake, type PropertyInput } from "../ga4/ga4";
import { GoogleTokenIssuer, UNAUTHENTICATED_BODY } from "./issuer";

export const GOOGLE_FAKE_HOSTS = ["oauth2.googleapis.com", "www.googleapis.com", "sheets.googleapis.com", "analyticsdata.googleapis.com", "googleads.googleapis.com"];

function send(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", "Content-Length": String(Buffer.byteLength(text)) });
  response.end(text);
}

export interface GoogleFake extends RunningFake {
  issuer: GoogleTokenIssuer;
  sheets: SheetsFake;
  ga4: Ga4Fake;
  ads: AdsFake;
}

export async function startGoogleFake(port = 0): Promise<GoogleFake> {
  const issuer = new GoogleTokenIssuer();
  const sheets = new SheetsFake();
  const ga4 = new Ga4Fake();
  const ads = new AdsFake();

  const control = async (method: string, parts: string[], request: IncomingMessage): Promise<unknown> => {
    const text = method === "GET" ? "" : await readBody(request);
    const body = (text ? JSON.parse(text) : {}) as Record<string, any>;
    const [area, ...rest] = parts;
    const route = `${method} ${area}/${rest.join("/")}`;
    if (area === "google") {
      if (route === "POST google/service-accounts") return issuer.addServiceAccount(body.client_email, body.public_key_pem), { ok: true };
      if (route === "POST google/service-accounts/revoke") return issuer.revokeServiceAccount(body.client_email), { ok: true };
      if (route === "POST google/oauth-clients") return issuer.addOAuthClient(body.client_id, body.client_secret, body.refresh_token, body.user, body.scopes ?? []), { ok: true };
      if (route === "POST google/refresh-tokens/revoke") return issuer.revokeRefreshToken(body.refresh_token), { ok: true };
      if (route === "POST google/expire-tokens") return issuer.expireTokens(), { ok: true };
      if (route === "GET google/grants") return Object.fromEntries(issuer.grants);
    }
    if (area === "sheets") {
      if (route === "POST sheets/quota") return sheets.setQuota(body.principal, body.per_minute), { ok: true };
      const [id, action] = rest as [string, string | undefined];
      if (method === "PUT" && action === undefined) return sheets.put(id, body as SpreadsheetInput), { ok: true };
      if (method === "POST" && action === "edit") return sheets.edit(id, body.title, body.edits), { ok: true };
      if (method === "POST" && action === "faults") return sheets.faults(id, body), { ok: true };
      if (method === "GET" && action === "requests") return { data: sheets.requests(id) };
    }
    if (area === "ga4") {
      const [id, action] = rest as [string, string | undefined];
      if (method === "PUT" && action === undefined) return ga4.put(id, body as PropertyInput), { ok: true };
      if (method === "POST" && action === "restate") return ga4.restate(id, body.from, body.factor), { ok: true };
      if (method === "POST" && action === "new-hour") return ga4.newHour(id), { ok: true };
      if (method === "GET" && action === "requests") return { data: ga4.requests(id) };
    }
    if (area === "ads") {
      if (route === "POST ads/developer-tokens") return ads.addDeveloperToken(body.token, body.approved !== false), { ok: true };
      const [kind, id, action] = rest as [string, string, string | undefined];
      if (kind === "customers" && method === "PUT" && action === undefined) return ads.put(id, body as CustomerInput), { ok: true };
      if (kind === "customers" && method === "POST" && action === "restate") return ads.restate(id, body.from, body.factor), { ok: true };
      if (kind === "customers" && method === "POST" && action === "faults") return ads.faults(id, body), { ok: true };
      if (kind === "customers" && method === "GET" && action === "requests") return { data: ads.requests(id) };
    }
    throw new ApiFailure(404, "NOT_FOUND", `no control endpoint ${route}`);
  };

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://fake");
    const method = request.method ?? "GET";
    try {
      if (url.pathname.startsWith("/_fake/")) return send(response, 200, await control(method, url.pathname.slice(7).split("/").map(decodeURIComponent), request));
      if (method === "POST" && (url.pathname === "/token" || url.pathname === "/oauth2/v4/token")) {
        const answer = issuer.grant(new URLSearchParams(await readBody(request)));
        return send(response, answer.status, answer.body);
      }
      const principal = issuer.principal(lowercaseHeaders(request).authorization);
      if (url.pathname.startsWith("/v4/spreadsheets/")) {
        if (method !== "GET") throw new ApiFailure(405, "INVALID_ARGUMENT", "This fake serves the read methods only.");
        if (!principal) return send(response, 401, UNAUTHENTICATED_BODY);
        return send(response, 200, sheets.handle(url.pathname, url.searchParams, principal));
      }
      if (url.pathname.startsWith("/v1beta/properties/")) {
        if (!principal) return send(response, 401, UNAUTHENTICATED_BODY);
        const text = method === "POST" ? await readBody(request) : "";
        let body: unknown = {};
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          throw new ApiFailure(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
        }
        return send(response, 200, ga4.handle(method, url.pathname, body, principal));
      }
      const adsPath = /^\/(v\d+)\/customers(?::listAccessibleCustomers|\/(\d+)\/googleAds:(searchStream|search))$/.exec(url.pathname);
      if (adsPath) {
        if (!principal) return send(response, 401, UNAUTHENTICATED_BODY);
        const headers = lowercaseHeaders(request);
        const [, version, customerId, method2] = adsPath as unknown as [string, string, string | undefined, string | undefined];
        if (!customerId) return send(response, 200, ads.listAccessible(version, headers, principal));
        const text = await readBody(request);
        const body = (text ? JSON.parse(text) : {}) as { query?: string; pageToken?: string; pageSize?: unknown };
        if (method2 === "search") return send(response, 200, ads.search(version, customerId, String(body.query ?? ""), headers, principal, body.pageToken, body.pageSize));
        const { batches, cutAfter, entry } = ads.stream(version, customerId, String(body.query ?? ""), headers, principal);
        // One JSON array written batch by batch, as Google streams it; a cut fault drops the connection mid-array.
        response.writeHead(200, { "Content-Type": "application/json; charset=UTF-8" });
        response.write("[");
        for (let i = 0; i < batches.length; i++) {
          if (cutAfter !== null && i === cutAfter) {
            entry.cut = true;
            response.write(`,${JSON.stringify(batches[i]).slice(0, 40)}`);
            await new Promise((resolve) => setTimeout(resolve, 20));
            response.destroy();
            return;
          }
          response.write(`${i ? "," : ""}${JSON.stringify(batches[i])}`);
        }
        response.end("]");
        return;
      }
      send(response, 404, { error: { code: 404, message: `The requested URL ${url.pathname} was not found on this server.`, status: "NOT_FOUND" } });
    } catch (error) {
      if (error instanceof ApiFailure) return send(response, error.status, error.body());
      send(response, 500, { error: { code: 500, message: error instanceof Error ? error.message : String(error), status: "INTERNAL" } });
    }
  });
  const listening = await listen(server, port);
  return { name: "google", port: listening, hosts: GOOGLE_FAKE_HOSTS, issuer, sheets, ga4, ads, close: () => stop(server) };
}
