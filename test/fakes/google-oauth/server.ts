/**
 * The Google fake: Google's token endpoint (./issuer.ts) and the Google APIs the readers use (Sheets in
 * ../google-sheets), on one node:http server, since they share the tokens it issues. It answers for
 * www.googleapis.com (the token endpoint `/oauth2/v4/token`, which Google still serves and key files may name as
 * `token_uri`) and sheets.googleapis.com; `/token` is oauth2.googleapis.com's path, for tests that route that host
 * here themselves (the BigQuery fake owns it in the shared HOST_OVERRIDES). Requests are routed by path: the APIs'
 * paths do not overlap. Control endpoints under /_fake/ (README.md).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";
import { ApiFailure, SheetsFake, type SpreadsheetInput } from "../google-sheets/sheets";
import { GoogleTokenIssuer, UNAUTHENTICATED_BODY } from "./issuer";

export const GOOGLE_FAKE_HOSTS = ["www.googleapis.com", "sheets.googleapis.com"];

function send(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", "Content-Length": String(Buffer.byteLength(text)) });
  response.end(text);
}

export interface GoogleFake extends RunningFake {
  issuer: GoogleTokenIssuer;
  sheets: SheetsFake;
}

export async function startGoogleFake(port = 0): Promise<GoogleFake> {
  const issuer = new GoogleTokenIssuer();
  const sheets = new SheetsFake();

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
      send(response, 404, { error: { code: 404, message: `The requested URL ${url.pathname} was not found on this server.`, status: "NOT_FOUND" } });
    } catch (error) {
      if (error instanceof ApiFailure) return send(response, error.status, error.body());
      send(response, 500, { error: { code: 500, message: error instanceof Error ? error.message : String(error), status: "INTERNAL" } });
    }
  });
  const listening = await listen(server, port);
  return { name: "google", port: listening, hosts: GOOGLE_FAKE_HOSTS, issuer, sheets, close: () => stop(server) };
}
