/**
 * The one http client a Google Sheets read uses: sheets.googleapis.com/v4, the loader's Google credentials
 * (kit/google.ts), Google's error classification with the fixes a Sheets user needs, and the per-minute read quota
 * taken from the loader's shared budget before every request (DESIGN §5.4).
 */
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { googleClient, googlePrincipal } from "../kit/google";
import type { HttpClient } from "../kit/http";
import { meteredClient, tokenMeter } from "../kit/metered";
import type { GoogleSheetsConfig } from "./spec";

export const SHEETS_API = "https://sheets.googleapis.com/v4";
export const SHEETS_SCOPES = ["https://www.googleapis.com/auth/spreadsheets.readonly"];

/**
 * Sheets counts read requests per minute per user per project (60; 300 per project) and refills them each minute
 * (https://developers.google.com/sheets/api/limits). In any 60 s a bucket lets through its capacity plus 60 s of
 * refill: 6 + 54 stays within one minute's 60, wherever the minute boundary falls.
 */
export const READ_BUCKET = { capacity: 6, refillPerSecond: 0.9 };

/** Until Google's next quota minute starts (it gives no Retry-After and no retryDelay for Sheets). */
function untilNextMinute(nowMs: number): number {
  return 61 - Math.floor((nowMs / 1000) % 60);
}

export function sheetsClient(ctx: ConnectorContext, config: GoogleSheetsConfig): HttpClient {
  const budget = ctx.budget;
  const key = `google_sheets:read:${googlePrincipal(config)}`;
  const http = googleClient(ctx, {
    baseUrl: SHEETS_API,
    scopes: SHEETS_SCOPES,
    credentials: config,
    product: "Google Sheets",
    permissionHint: "Share the spreadsheet with the service account's client_email (Viewer is enough), or authorize as a user who can open it.",
    notFoundHint: "Check spreadsheet_id: it is the part of the sheet's URL between /d/ and /edit.",
    special: (status, error) => {
      if (status !== 429 && error.status !== "RESOURCE_EXHAUSTED") return undefined;
      const wait = error.retryDelaySeconds ?? untilNextMinute(Date.now());
      // Every stream of the loader spends the same user's quota: they all wait for the next minute.
      if (budget) void budget.pause(key, wait).catch(() => {});
      return new ConnectorError("retryable", `Google Sheets read quota exhausted: ${error.message ?? "RESOURCE_EXHAUSTED"}`, { status, retryAfterSeconds: wait });
    },
  });
  return budget ? meteredClient(http, tokenMeter(budget, key, READ_BUCKET)) : http;
}
