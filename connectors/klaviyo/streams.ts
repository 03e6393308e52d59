/**
 * What each catalog stream of spec.ts reads (the endpoint reference of the pinned revision, as the `klaviyo-api`
 * client documents it: page sizes, filterable fields and operators, sorts, rate tiers). Every list pages through
 * `links.next`, which carries `page[cursor]` and all the original parameters.
 */
import type { StreamSpec } from "../kit/contract";
import type { RateTier } from "./client";
import { klaviyoSpec } from "./spec";

export interface KlaviyoStream {
  /** Below https://a.klaviyo.com/api; memberships name the group's collection (`lists`, `segments`). */
  path: string;
  /** The JSON:API type of the records, for `fields[<type>]` and `additional-fields[<type>]`. */
  type: string;
  tier: RateTier;
  /** page[size]: the endpoint's maximum; absent where the endpoint takes none (metrics: fixed 200). */
  pageSize?: number;
  /**
   * How the cursor is filtered: `gt` where the endpoint offers only greater-than (sent one second below the
   * committed cursor, so the committed second is read again), `gte`, or `client` where there is no filter.
   */
  filter: "gt" | "gte" | "client";
  /** Sort by the cursor, ascending, where the endpoint can. */
  sorted: boolean;
  /** Relationship → id column, asked for with `include` (to-one relationships give one id, to-many an array). */
  include?: Record<string, string>;
  /** Sparse fieldset of the records' own type. */
  fields?: string[];
  /** `additional-fields[<type>]`. */
  additional?: string[];
  /** Campaigns must be listed one channel at a time. */
  channels?: string[];
  /** Membership streams: the group collection, and the record column its id goes to. */
  group?: { path: string; key: string };
}

/** Tiers per endpoint (burst/s, steady/min), from the reference. */
const XL = { burst: 350, steady: 3500 };
const L = { burst: 75, steady: 750 };
const M = { burst: 10, steady: 150 };
const S = { burst: 3, steady: 60 };

const STREAMS: Record<string, KlaviyoStream> = {
  // Predictive analytics would move profiles to the M tier; subscriptions keep L.
  profiles: { path: "/profiles", type: "profile", tier: L, pageSize: 100, filter: "gt", sorted: true, additional: ["subscriptions"] },
  // page[size] up to 1000 is documented for the pinned revisions (default 200); older ones may refuse it (verify).
  events: { path: "/events", type: "event", tier: XL, pageSize: 1000, filter: "gte", sorted: true, include: { metric: "metric_id", profile: "profile_id" } },
  metrics: { path: "/metrics", type: "metric", tier: M, filter: "client", sorted: false },
  lists: { path: "/lists", type: "list", tier: L, pageSize: 10, filter: "gt", sorted: true, include: { tags: "tag_ids" } },
  segments: { path: "/segments", type: "segment", tier: L, pageSize: 10, filter: "gt", sorted: true, include: { tags: "tag_ids" } },
  campaigns: {
    path: "/campaigns",
    type: "campaign",
    tier: M,
    pageSize: 100,
    filter: "gte",
    sorted: true,
    include: { "campaign-messages": "campaign_message_ids", tags: "tag_ids" },
    channels: ["email", "sms"],
  },
  flows: { path: "/flows", type: "flow", tier: S, pageSize: 50, filter: "gte", sorted: true, include: { "flow-actions": "flow_action_ids", tags: "tag_ids" } },
  templates: { path: "/templates", type: "template", tier: L, pageSize: 10, filter: "gte", sorted: true },
  list_memberships: { path: "/lists", type: "profile", tier: L, pageSize: 100, filter: "gte", sorted: true, fields: ["joined_group_at"], group: { path: "/lists", key: "list_id" } },
  segment_memberships: {
    path: "/segments",
    type: "profile",
    tier: L,
    pageSize: 100,
    filter: "gte",
    sorted: true,
    fields: ["joined_group_at"],
    group: { path: "/segments", key: "segment_id" },
  },
};

/** The table must cover the catalog exactly: a served stream without an endpoint is a bug of this file. */
function checked(streams: readonly StreamSpec[]): Map<string, KlaviyoStream> {
  const missing = streams.filter((s) => !STREAMS[s.name]).map((s) => s.name);
  const extra = Object.keys(STREAMS).filter((name) => !streams.some((s) => s.name === name));
  if (missing.length || extra.length) throw new Error(`klaviyo streams table: missing ${missing.join(", ") || "none"}; not in the catalog ${extra.join(", ") || "none"}`);
  return new Map(Object.entries(STREAMS));
}

const BY_NAME = checked(klaviyoSpec.streams);

export function klaviyoStream(name: string): KlaviyoStream | undefined {
  return BY_NAME.get(name);
}
