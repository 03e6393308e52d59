/**
 * Klaviyo (JSON:API, date-revisioned; research/connectors-saas.md §5). Resources come as {type, id, attributes,
 * relationships}; the connector lifts `attributes` to the top level of each record (the cursor fields live there)
 * and turns the relationships it asks for with `include` into id columns (`metric_id`, `tag_ids`). List and
 * segment memberships are streams of their own, one row per (group, profile). Klaviyo reports no deletions.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import {
  apiVersionField,
  exclusiveCredentialSets,
  type Fields,
  oauthRefreshFields,
  secretField,
  startDateField,
  stream,
} from "../kit/spec-helpers";

/** Quarterly revisions, stable one year, deprecated the next, retired after two (then 410 or a silent fall-forward). */
const API_VERSION = "2026-10-15";

const credentialSets = [["api_key"], ["client_id", "client_secret", "refresh_token"]];

const config = z
  .object({
    api_key: secretField(
      "Private API key (pk_…) with read scopes for the selected streams. Give this OR the OAuth fields.",
      z.string().regex(/^pk_[A-Za-z0-9]+$/, "must be a Klaviyo private API key (pk_…); public site ids cannot read data"),
    ),
    ...oauthRefreshFields("Klaviyo"),
    api_version: apiVersionField(API_VERSION, /^\d{4}-\d{2}-\d{2}$/, "2026-10-15"),
    start_date: startDateField(),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type KlaviyoConfig = z.infer<typeof config>;

const resource = (name: string, cursor: string, fields: Fields) =>
  stream(name, {
    primaryKey: ["id"],
    cursor,
    fields: { id: "string", type: "string", [cursor]: "date-time", ...fields },
  });

/** One row per member of a list or segment, keyed by both ids; `joined_group_at` is when the profile joined. */
const membership = (name: string, group: string) =>
  stream(name, {
    primaryKey: [group, "profile_id"],
    cursor: "joined_group_at",
    fields: { [group]: "string", profile_id: "string", joined_group_at: "date-time" },
  });

export const klaviyoSpec = {
  type: "klaviyo",
  title: "Klaviyo",
  category: "marketing",
  auth_method: "api_key|oauth2_refresh_token",
  api_version: API_VERSION,
  config,
  secret_fields: ["api_key", "client_secret", "refresh_token"],
  credential_sets: credentialSets,
  streams: [
    resource("profiles", "updated", {
      created: "date-time",
      email: "string",
      phone_number: "string",
      external_id: "string",
      first_name: "string",
      last_name: "string",
      properties: "object",
      location: "object",
      subscriptions: "object",
    }),
    // Immutable; filtered server-side with greater-or-equal(datetime, …) and less-than(datetime, <time of the read>).
    resource("events", "datetime", { timestamp: "integer", uuid: "string", event_properties: "object", metric_id: "string", profile_id: "string" }),
    // No server-side filter on metrics: incremental filters `updated` client-side.
    resource("metrics", "updated", { created: "date-time", name: "string", integration: "object" }),
    resource("lists", "updated", { created: "date-time", name: "string", opt_in_process: "string", tag_ids: "array" }),
    resource("segments", "updated", { created: "date-time", name: "string", is_active: "boolean", tag_ids: "array" }),
    // Campaigns use *_at names and must be listed per channel (messages.channel = 'email' | 'sms'): one stream, both channels.
    resource("campaigns", "updated_at", {
      channel: "string",
      created_at: "date-time",
      name: "string",
      status: "string",
      archived: "boolean",
      send_time: "date-time",
      scheduled_at: "date-time",
      audiences: "object",
      campaign_message_ids: "array",
      tag_ids: "array",
    }),
    resource("flows", "updated", {
      created: "date-time",
      name: "string",
      status: "string",
      archived: "boolean",
      trigger_type: "string",
      flow_action_ids: "array",
      tag_ids: "array",
    }),
    resource("templates", "updated", { created: "date-time", name: "string", editor_type: "string" }),
    membership("list_memberships", "list_id"),
    membership("segment_memberships", "segment_id"),
  ],
} satisfies LoaderTypeSpec<KlaviyoConfig>;
