/**
 * Mailchimp Marketing API 3.0 (research/connectors-saas.md §6). Records sit under a resource-named array, paged with
 * count/offset. Several resources only filter on their creation time (`since_date_created`, `since_create_time`):
 * incremental reads of those pick up new rows, and a periodic full_refresh picks up edits. Nothing reports deletes.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import { exclusiveCredentialSets, type Fields, secretField, startDateField, stream } from "../kit/spec-helpers";

const credentialSets = [["api_key"], ["access_token"]];

const config = z
  .object({
    api_key: secretField(
      "API key (…-us21): the suffix after the dash is your data center. Give this OR access_token.",
      z.string().regex(/^[0-9a-f]+-[a-z]+\d+$/, "must be a Mailchimp API key ending with its data center, e.g. 0123…cdef-us21"),
    ),
    access_token: secretField("OAuth access token (Mailchimp tokens do not expire and have no refresh token)."),
    data_center: z
      .string()
      .regex(/^[a-z]+\d+$/, "must be a data center id such as us21")
      .optional()
      .describe("Data center (us21) for an OAuth token; empty asks login.mailchimp.com/oauth2/metadata. API keys carry their own."),
    start_date: startDateField(),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type MailchimpConfig = z.infer<typeof config>;

const byId = (name: string, cursor: string | null, fields: Fields) =>
  stream(name, { primaryKey: ["id"], cursor, fields: { id: "string", ...fields } });

/** Children of an audience: ids are unique within the list, so the list id is part of the key. */
const inList = (name: string, cursor: string | null, fields: Fields, id: "string" | "integer" = "string") =>
  stream(name, { primaryKey: ["list_id", "id"], cursor, fields: { list_id: "string", id, ...fields } });

export const mailchimpSpec = {
  type: "mailchimp",
  title: "Mailchimp",
  category: "marketing",
  auth_method: "api_key|oauth2_access_token",
  // The only version of the Marketing API; it is in the path (/3.0/).
  api_version: "3.0",
  config,
  secret_fields: ["api_key", "access_token"],
  credential_sets: credentialSets,
  streams: [
    byId("lists", "date_created", { web_id: "integer", name: "string", date_created: "date-time", stats: "object" }),
    // id is the MD5 of the lower-cased email; filtered with since_last_changed, sorted by last_changed.
    inList("list_members", "last_changed", {
      email_address: "string",
      unique_email_id: "string",
      status: "string",
      merge_fields: "object",
      timestamp_opt: "date-time",
      last_changed: "date-time",
    }),
    // Segment ids are integers.
    inList(
      "segments",
      "updated_at",
      { name: "string", type: "string", member_count: "integer", created_at: "date-time", updated_at: "date-time" },
      "integer",
    ),
    inList("interest_categories", null, { title: "string", type: "string", display_order: "integer" }),
    // Tags are an audience's static segments (GET /lists/{id}/tag-search), so their ids are segment ids.
    inList("tags", null, { name: "string" }, "integer"),
    byId("campaigns", "create_time", {
      web_id: "integer",
      type: "string",
      status: "string",
      create_time: "date-time",
      send_time: "date-time",
      settings: "object",
      recipients: "object",
    }),
    byId("reports", "send_time", {
      campaign_title: "string",
      type: "string",
      list_id: "string",
      emails_sent: "integer",
      send_time: "date-time",
      opens: "object",
      clicks: "object",
    }),
    byId("automations", "create_time", {
      status: "string",
      create_time: "date-time",
      start_time: "date-time",
      emails_sent: "integer",
      settings: "object",
    }),
    // One record per activity: the API nests activity[] per recipient; the connector emits each action on its own.
    stream("email_activity", {
      primaryKey: ["campaign_id", "email_id", "action", "timestamp"],
      cursor: "timestamp",
      fields: {
        campaign_id: "string",
        list_id: "string",
        email_id: "string",
        email_address: "string",
        action: "string",
        type: "string",
        timestamp: "date-time",
        url: "string",
        ip: "string",
      },
    }),
    // No server-side filter: incremental filters `timestamp` client-side.
    stream("unsubscribes", {
      primaryKey: ["campaign_id", "email_id"],
      cursor: "timestamp",
      fields: {
        campaign_id: "string",
        list_id: "string",
        email_id: "string",
        email_address: "string",
        timestamp: "date-time",
        reason: "string",
      },
    }),
  ],
} satisfies LoaderTypeSpec<MailchimpConfig>;
