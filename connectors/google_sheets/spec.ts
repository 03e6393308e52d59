/**
 * Google Sheets API v4 (research/connectors-saas.md §7). One stream per tab, found by spreadsheets.get; row 1 holds
 * the column names. There is no server-side change filter and rows have no id, so tabs are full_refresh only; a row is
 * keyed by its row number unless the config names key columns for its tab.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import { discoveredFromConfig, exclusiveCredentialSets, oauthRefreshFields, serviceAccountJsonField } from "../kit/spec-helpers";

const ID = /^[A-Za-z0-9_-]{20,}$/;
const URL_WITH_ID = /^https:\/\/docs\.google\.com\/spreadsheets\/d\/([A-Za-z0-9_-]{20,})(?:[/?#].*)?$/;

const credentialSets = [["client_id", "client_secret", "refresh_token"], ["service_account_json"]];

const config = z
  .object({
    spreadsheet_id: z
      .string()
      .refine((value) => ID.test(value) || URL_WITH_ID.test(value), {
        message: "must be a spreadsheet id or its https://docs.google.com/spreadsheets/d/<id>/… URL",
      })
      .describe("The spreadsheet to read: its id, or the URL you see in the browser (https://docs.google.com/spreadsheets/d/<id>/edit)."),
    ...oauthRefreshFields("Google Cloud"),
    service_account_json: serviceAccountJsonField(
      "Service-account key file (JSON). Share the spreadsheet with the service account's client_email. Give this OR the OAuth fields.",
    ),
    tabs: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Tabs to offer as streams, by their exact title; all grid tabs when absent."),
    key_columns: z
      .record(z.string().min(1), z.array(z.string().min(1)).min(1))
      .optional()
      .describe(
        'Per tab title, the header names whose values identify a row (e.g. {"Orders": ["Order ID"]}); without it a row is keyed by its row number (_row_number).',
      ),
    row_batch_size: z
      .number()
      .int()
      .min(10)
      .max(10000)
      .default(2000)
      .describe("Rows fetched per request; lower it for very wide sheets (Google cuts a request off after about 180 s and advises answers under 2 MB)."),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type GoogleSheetsConfig = z.infer<typeof config>;

/** The id inside whatever form the user pasted. */
export function spreadsheetIdOf(value: string): string {
  return URL_WITH_ID.exec(value)?.[1] ?? value;
}

export const googleSheetsSpec = {
  type: "google_sheets",
  title: "Google Sheets",
  category: "productivity",
  auth_method: "oauth2_refresh_token|service_account",
  api_version: "v4",
  config,
  secret_fields: ["client_secret", "refresh_token", "service_account_json"],
  credential_sets: credentialSets,
  streams: discoveredFromConfig(
    "One stream per tab of the spreadsheet, named after the tab; columns come from the header row. Full refresh only: Sheets has no change filter and rows have no id.",
  ),
} satisfies LoaderTypeSpec<GoogleSheetsConfig>;
