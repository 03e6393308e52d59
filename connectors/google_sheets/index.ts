/**
 * `google_sheets`: one stream per tab, found with spreadsheets.get (discover), read range by range (read.ts) through
 * the Sheets client (client.ts: credentials, errors, the per-minute read quota).
 */
import type { Connector } from "../kit/contract";
import { sheetsClient } from "./client";
import { listTabs, readTab, tabStream } from "./read";
import { type GoogleSheetsConfig, googleSheetsSpec } from "./spec";

export const googleSheetsConnector = {
  ...googleSheetsSpec,

  /** The tab list: proves the credentials, the sharing and the spreadsheet id for one read request. */
  async check(ctx, config) {
    await listTabs(sheetsClient(ctx, config), config);
  },

  async discover(ctx, config) {
    return (await listTabs(sheetsClient(ctx, config), config)).map((tab) => tabStream(tab, config));
  },

  async *read(ctx, config, request) {
    yield* readTab(ctx, sheetsClient(ctx, config), config, request);
  },
} satisfies Connector<GoogleSheetsConfig>;
