/**
 * A Klaviyo account's data: JSON:API resources (type, id, attributes, relationships) generated from a PRNG seeded by
 * the tenant, list and segment memberships with their `joined_group_at`, and a logical clock: the tenant's "now" is
 * frozen at seed time and every mutation happens one second after anything stored, so tests can assert exact values.
 */
import { createRng, type Rng } from "../shared/prng";

export type ResourceType =
  | "profile" | "event" | "metric" | "list" | "segment" | "campaign" | "campaign-message" | "flow" | "flow-action" | "template" | "tag";

export interface Resource {
  type: ResourceType;
  id: string;
  attributes: Record<string, unknown>;
  /** Relationship name → related ids (to-one relationships hold one id or none). */
  relationships: Record<string, { type: ResourceType; ids: string[]; toOne?: boolean }>;
  /** Campaigns only: the channel of its messages, filtered as `messages.channel`. */
  channel?: "email" | "sms";
}

export const COUNT_NAMES = ["profiles", "events", "metrics", "lists", "segments", "email_campaigns", "sms_campaigns", "flows", "templates", "tags"] as const;
export type CountName = (typeof COUNT_NAMES)[number];
export type Counts = Partial<Record<CountName, number>>;

export const DEFAULT_COUNTS: Record<CountName, number> = {
  profiles: 130,
  events: 420,
  metrics: 6,
  lists: 12,
  segments: 4,
  email_campaigns: 6,
  sms_campaigns: 3,
  flows: 4,
  templates: 14,
  tags: 4,
};

/** Klaviyo renders datetimes with an explicit UTC offset: `2024-01-05T12:30:00+00:00`. */
export const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "+00:00");
export const seconds = (text: unknown) => (typeof text === "string" ? Date.parse(text) / 1000 : NaN);

const ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Linus", "Radia", "John"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Torvalds", "Perlman"];
const METRICS = [
  ["Placed Order", "Shopify", "ecommerce"],
  ["Opened Email", "Klaviyo", "Internal"],
  ["Clicked Email", "Klaviyo", "Internal"],
  ["Received SMS", "Klaviyo", "Internal"],
  ["Viewed Product", "Klaviyo", "API"],
  ["Started Checkout", "Shopify", "ecommerce"],
  ["Active on Site", "Klaviyo", "API"],
  ["Subscribed to List", "Klaviyo", "Internal"],
] as const;

export class Account {
  readonly rng: Rng;
  private frozenAt: number;
  /** The newest time stored so far: the next mutation happens after it. */
  private latest: number;
  readonly resources = new Map<ResourceType, Resource[]>();
  /** List or segment id → profile id → joined_group_at (seconds). */
  readonly memberships = new Map<string, Map<string, number>>();

  constructor(seed: string, counts: Counts = {}, now = Math.floor(Date.now() / 1000)) {
    this.rng = createRng(seed);
    this.frozenAt = now;
    this.latest = now;
    const c = { ...DEFAULT_COUNTS, ...counts };
    for (const type of ["profile", "event", "metric", "list", "segment", "campaign", "campaign-message", "flow", "flow-action", "template", "tag"] as const) {
      this.resources.set(type, []);
    }
    const tags = this.many(c.tags, () => this.tag());
    const metrics = this.many(Math.min(c.metrics, METRICS.length), (i) => this.metric(i));
    const profiles = this.many(c.profiles, () => this.profile(this.past(400)));
    this.many(c.events, () => this.event(metrics, profiles, this.past(200)));
    for (const kind of ["list", "segment"] as const) {
      this.many(kind === "list" ? c.lists : c.segments, (i) => {
        const group = this.group(kind, i, tags);
        const members = new Map<string, number>();
        for (const profile of profiles) {
          if (this.rng.chance(kind === "list" ? 0.3 : 0.4)) members.set(profile.id, this.between(seconds(profile.attributes.created), now - 60));
        }
        this.memberships.set(group.id, members);
        return group;
      });
    }
    this.many(c.email_campaigns, () => this.campaign("email", tags));
    this.many(c.sms_campaigns, () => this.campaign("sms", tags));
    this.many(c.flows, () => this.flow(tags));
    this.many(c.templates, () => this.template());
  }

  now(): number {
    return this.frozenAt;
  }

  advance(by: number) {
    this.frozenAt += by;
  }

  /** The second a mutation happens at: the clock, or one second after the newest stored time. */
  tick(): number {
    const at = Math.max(this.frozenAt, this.latest + 1);
    this.latest = at;
    this.frozenAt = at;
    return at;
  }

  list(type: ResourceType): Resource[] {
    return this.resources.get(type) ?? [];
  }

  find(type: ResourceType, id: string): Resource | undefined {
    return this.list(type).find((r) => r.id === id);
  }

  private many<T>(n: number, make: (i: number) => T): T[] {
    return Array.from({ length: n }, (_, i) => make(i));
  }

  private add(resource: Resource): Resource {
    this.list(resource.type).push(resource);
    return resource;
  }

  private past(days: number): number {
    return this.frozenAt - this.rng.int(120, days * 86_400);
  }

  private between(from: number, to: number): number {
    return to <= from ? from : this.rng.int(from, to);
  }

  private ulid(): string {
    let out = "01";
    for (let i = 0; i < 24; i++) out += ULID_ALPHABET[this.rng.int(0, 31)];
    return out;
  }

  private shortId(): string {
    return this.rng.chars(6);
  }

  private timestamps(created: number) {
    return { created: iso(created), updated: iso(this.between(created, this.frozenAt - 30)) };
  }

  private tag(): Resource {
    const id = `${this.rng.chars(8)}-${this.rng.chars(4)}-${this.rng.chars(4)}-${this.rng.chars(12)}`.toLowerCase();
    return this.add({ type: "tag", id, attributes: { name: `tag ${this.rng.chars(4)}` }, relationships: {} });
  }

  private metric(i: number): Resource {
    const [name, integration, category] = METRICS[i]!;
    const created = this.past(700);
    return this.add({
      type: "metric",
      id: this.shortId(),
      attributes: { name, ...this.timestamps(created), integration: { object: "integration", id: this.shortId(), key: integration.toLowerCase(), name: integration, category } },
      relationships: { "flow-triggers": { type: "flow", ids: [] } },
    });
  }

  profile(created: number, at?: number): Resource {
    const first = this.rng.pick(FIRST);
    const last = this.rng.pick(LAST);
    const id = this.ulid();
    const times = at === undefined ? this.timestamps(created) : { created: iso(at), updated: iso(at) };
    return this.add({
      type: "profile",
      id,
      attributes: {
        email: `${first}.${last}.${id.slice(-6)}@example.com`.toLowerCase(),
        phone_number: this.rng.chance(0.5) ? `+1555${this.rng.int(1_000_000, 9_999_999)}` : null,
        external_id: this.rng.chance(0.3) ? `ext-${this.rng.int(1000, 99999)}` : null,
        anonymous_id: null,
        first_name: first,
        last_name: last,
        organization: this.rng.chance(0.4) ? "Example Co" : null,
        locale: "en-US",
        title: null,
        image: null,
        ...times,
        last_event_date: null,
        location: { city: this.rng.pick(["Boston", "Lyon", "Osaka", null]), country: this.rng.pick(["US", "FR", "JP"]), region: null, zip: null, timezone: null, ip: null },
        properties: { plan: this.rng.pick(["free", "pro", "team"]), visits: this.rng.int(0, 400) },
      },
      relationships: { lists: { type: "list", ids: [] }, segments: { type: "segment", ids: [] } },
    });
  }

  /** Additional fields, only rendered when `additional-fields[profile]` asks for them. */
  static subscriptions(profile: Resource) {
    const consent = typeof profile.attributes.email === "string" && profile.attributes.email.length % 2 === 0 ? "SUBSCRIBED" : "NEVER_SUBSCRIBED";
    return { email: { marketing: { can_receive_email_marketing: consent === "SUBSCRIBED", consent, consent_timestamp: profile.attributes.created, suppression: [], list_suppressions: [] } } };
  }

  event(metrics: Resource[], profiles: Resource[], at: number): Resource {
    const metric = this.rng.pick(metrics);
    const profile = this.rng.pick(profiles);
    return this.add({
      type: "event",
      id: this.rng.chars(11),
      attributes: {
        timestamp: at,
        event_properties: { value: this.rng.int(0, 50_000) / 100, $event_id: this.rng.chars(10), items: this.rng.int(1, 5) },
        datetime: iso(at),
        uuid: `${this.rng.chars(8)}-${this.rng.chars(4)}-11ee-${this.rng.chars(4)}-${this.rng.chars(12)}`.toLowerCase(),
      },
      relationships: { metric: { type: "metric", ids: [metric.id], toOne: true }, profile: { type: "profile", ids: [profile.id], toOne: true } },
    });
  }

  private group(kind: "list" | "segment", i: number, tags: Resource[]): Resource {
    const created = this.past(600);
    const attributes: Record<string, unknown> =
      kind === "list"
        ? { name: `Newsletter ${i + 1}`, ...this.timestamps(created), opt_in_process: this.rng.pick(["single_opt_in", "double_opt_in"]) }
        : { name: `Engaged ${i + 1}`, definition: null, ...this.timestamps(created), is_active: this.rng.chance(0.8), is_processing: false, is_starred: false };
    return this.add({
      type: kind,
      id: this.shortId(),
      attributes,
      relationships: { tags: { type: "tag", ids: tags.filter(() => this.rng.chance(0.3)).map((t) => t.id) }, "flow-triggers": { type: "flow", ids: [] } },
    });
  }

  private campaign(channel: "email" | "sms", tags: Resource[]): Resource {
    const created = this.past(300);
    const status = this.rng.pick(["Draft", "Sent", "Scheduled", "Cancelled"]);
    const messages = this.many(channel === "email" ? this.rng.int(1, 2) : 1, () =>
      this.add({
        type: "campaign-message",
        id: this.ulid(),
        attributes: { definition: { channel, label: `${channel} message`, content: channel === "email" ? { subject: "Hello" } : { body: "Hi" } }, created_at: iso(created), updated_at: iso(created) },
        relationships: {},
      }),
    );
    const lists = this.list("list");
    return this.add({
      type: "campaign",
      id: this.ulid(),
      channel,
      attributes: {
        name: `${channel.toUpperCase()} campaign ${this.rng.chars(4)}`,
        status,
        archived: this.rng.chance(0.1),
        audiences: { included: lists.slice(0, 1).map((l) => l.id), excluded: [] },
        send_options: { use_smart_sending: true },
        tracking_options: channel === "email" ? { add_tracking_params: false, is_tracking_clicks: true, is_tracking_opens: true } : { add_tracking_params: false, is_tracking_clicks: true },
        send_strategy: { method: "static" },
        created_at: iso(created),
        scheduled_at: status === "Draft" ? null : iso(created + 3600),
        updated_at: iso(this.between(created, this.frozenAt - 30)),
        send_time: status === "Sent" ? iso(created + 7200) : null,
      },
      relationships: {
        "campaign-messages": { type: "campaign-message", ids: messages.map((m) => m.id) },
        tags: { type: "tag", ids: tags.filter(() => this.rng.chance(0.3)).map((t) => t.id) },
      },
    });
  }

  private flow(tags: Resource[]): Resource {
    const created = this.past(500);
    const actions = this.many(this.rng.int(1, 3), () =>
      this.add({ type: "flow-action", id: String(this.rng.int(10_000_000, 99_999_999)), attributes: { action_type: "SEND_EMAIL", status: "live", created: iso(created), updated: iso(created) }, relationships: {} }),
    );
    return this.add({
      type: "flow",
      id: this.shortId(),
      attributes: { name: `Flow ${this.rng.chars(4)}`, status: this.rng.pick(["live", "draft", "manual"]), archived: false, ...this.timestamps(created), trigger_type: this.rng.pick(["Added to List", "Metric", "Date Based"]) },
      relationships: { "flow-actions": { type: "flow-action", ids: actions.map((a) => a.id) }, tags: { type: "tag", ids: tags.filter(() => this.rng.chance(0.3)).map((t) => t.id) } },
    });
  }

  private template(): Resource {
    const created = this.past(500);
    return this.add({
      type: "template",
      id: this.shortId(),
      attributes: { name: `Template ${this.rng.chars(4)}`, editor_type: this.rng.pick(["CODE", "SYSTEM_DRAGGABLE", "USER_DRAGGABLE"]), html: "<html><body>Hi</body></html>", text: "Hi", amp: null, ...this.timestamps(created) },
      relationships: {},
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Mutations (control API): every change of one call shares one second, later than anything stored.

  mutate(body: Record<string, unknown>): { time: number; created: string[]; updated: string[] } {
    const time = this.tick();
    const created: string[] = [];
    const updated: string[] = [];
    const type = String(body.type ?? "");
    const pickIds = (pool: Resource[], spec: unknown): Resource[] => {
      if (Array.isArray(spec)) return spec.map((id) => pool.find((r) => r.id === id)).filter((r): r is Resource => r !== undefined);
      return pool.slice(0, Number(spec ?? 0));
    };
    if (type === "profiles") {
      for (const profile of pickIds(this.list("profile"), body.update)) {
        profile.attributes.first_name = `${String(profile.attributes.first_name).split(" ")[0]} ${this.rng.chars(3)}`;
        profile.attributes.updated = iso(time);
        updated.push(profile.id);
      }
      for (let i = 0; i < Number(body.create ?? 0); i++) created.push(this.profile(time, time).id);
    } else if (type === "events") {
      // An explicit datetime models events whose time the sender chose (Klaviyo accepts up to a year ahead).
      const at = typeof body.datetime === "string" ? Math.floor(Date.parse(body.datetime) / 1000) : time;
      for (let i = 0; i < Number(body.create ?? 0); i++) created.push(this.event(this.list("metric"), this.list("profile"), at).id);
    } else if (["lists", "segments", "flows", "templates", "metrics", "campaigns"].includes(type)) {
      const resourceType = type.slice(0, -1) as ResourceType;
      const field = type === "campaigns" ? "updated_at" : "updated";
      for (const resource of pickIds(this.list(resourceType), body.update)) {
        resource.attributes.name = `${String(resource.attributes.name)} (edited)`;
        resource.attributes[field] = iso(time);
        updated.push(resource.id);
      }
    } else if (type === "memberships") {
      const group = String(body.group ?? "");
      const members = this.memberships.get(group);
      if (!members) throw new Error(`no list or segment ${group}`);
      const outside = this.list("profile").filter((p) => !members.has(p.id));
      for (const profile of outside.slice(0, Number(body.add ?? 0))) {
        members.set(profile.id, time);
        created.push(profile.id);
      }
    } else {
      throw new Error(`cannot mutate "${type}"; one of profiles, events, lists, segments, flows, templates, metrics, campaigns, memberships`);
    }
    return { time, created, updated };
  }
}
