/**
 * What each catalog stream of spec.ts reads (research/connectors-saas.md §6): its endpoint, the array its records
 * sit in, and how its cursor is filtered on the server. Children of an audience or a campaign are read once per
 * parent through the kit's fan-out.
 */
import type { StreamSpec } from "../kit/contract";
import { mailchimpSpec } from "./spec";

export interface MailchimpStream {
  /** Below /3.0; `{id}` is the parent's id for child streams. */
  path: string;
  /** The array holding the records. */
  key: string;
  /** The `since_<x>` / `before_<x>` pair that filters the cursor, where the endpoint has one. */
  window?: { since: string; before?: string };
  /** `sort_field` (ascending) where the endpoint sorts by the cursor. */
  sort?: string;
  /** Rows re-read at each page boundary, where the window can lose rows mid-read (see overlappingOffset). */
  overlap?: number;
  /** Child streams: the parent collection (`lists` or `reports`, i.e. sent campaigns) and the record's parent key. */
  parent?: { path: string; key: string; parentKey: string };
  /** No server-side filter on the cursor: rows are kept from the committed cursor on. */
  clientSide?: boolean;
}

const LISTS = { path: "/lists", key: "lists", parentKey: "list_id" };
const SENT = { path: "/reports", key: "reports", parentKey: "campaign_id" };

const STREAMS: Record<string, MailchimpStream> = {
  lists: { path: "/lists", key: "lists", window: { since: "since_date_created", before: "before_date_created" }, sort: "date_created" },
  list_members: {
    path: "/lists/{id}/members",
    key: "members",
    window: { since: "since_last_changed", before: "before_last_changed" },
    sort: "last_changed",
    overlap: 50,
    parent: LISTS,
  },
  segments: { path: "/lists/{id}/segments", key: "segments", window: { since: "since_updated_at", before: "before_updated_at" }, overlap: 50, parent: LISTS },
  interest_categories: { path: "/lists/{id}/interest-categories", key: "categories", parent: LISTS },
  tags: { path: "/lists/{id}/tag-search", key: "tags", parent: LISTS },
  campaigns: { path: "/campaigns", key: "campaigns", window: { since: "since_create_time", before: "before_create_time" }, sort: "create_time" },
  reports: { path: "/reports", key: "reports", window: { since: "since_send_time", before: "before_send_time" } },
  automations: { path: "/automations", key: "automations", window: { since: "since_create_time", before: "before_create_time" } },
  // `since` keeps activity after it; there is no upper bound, so the fan-out caps the state at the read's start.
  email_activity: { path: "/reports/{id}/email-activity", key: "emails", window: { since: "since" }, parent: SENT },
  unsubscribes: { path: "/reports/{id}/unsubscribed", key: "unsubscribes", clientSide: true, parent: SENT },
};

function checked(streams: readonly StreamSpec[]): Map<string, MailchimpStream> {
  const missing = streams.filter((s) => !STREAMS[s.name]).map((s) => s.name);
  const extra = Object.keys(STREAMS).filter((name) => !streams.some((s) => s.name === name));
  if (missing.length || extra.length) throw new Error(`mailchimp streams table: missing ${missing.join(", ") || "none"}; not in the catalog ${extra.join(", ") || "none"}`);
  return new Map(Object.entries(STREAMS));
}

const BY_NAME = checked(mailchimpSpec.streams);

export function mailchimpStream(name: string): MailchimpStream | undefined {
  return BY_NAME.get(name);
}
