/**
 * A Mailchimp account's data, generated from a PRNG seeded by the tenant: audiences (lists) with members, segments
 * and tags (tags are static segments), campaigns with their reports, per-recipient email activity and unsubscribes,
 * and classic automations. The clock is logical: frozen at seed time, and every mutation happens one second after
 * anything stored, so tests can assert exact values.
 */
import { createHash } from "node:crypto";
import { createRng, type Rng } from "../shared/prng";

export type Json = Record<string, unknown>;

export interface Counts {
  /** Members of each list, in order; the number of lists is its length. */
  members?: number[];
  campaigns?: number;
  automations?: number;
  segments_per_list?: number;
}

export const DEFAULT_COUNTS: Required<Counts> = { members: [1200, 150, 40], campaigns: 8, automations: 3, segments_per_list: 3 };

/** Mailchimp renders datetimes as ISO 8601 with an explicit offset: `2024-01-01T00:00:00+00:00`. */
export const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "+00:00");
export const md5 = (text: string) => createHash("md5").update(text.toLowerCase()).digest("hex");

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Linus", "Radia"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen"];
const STATUSES = { subscribed: 70, unsubscribed: 12, cleaned: 5, pending: 8, transactional: 5 } as const;

export interface Activity {
  campaign_id: string;
  list_id: string;
  email_id: string;
  email_address: string;
  action: "open" | "click" | "bounce";
  type: string;
  timestamp: number;
  url: string;
  ip: string;
}

export interface Unsubscribe {
  campaign_id: string;
  list_id: string;
  email_id: string;
  email_address: string;
  timestamp: number;
  reason: string;
}

export class Account {
  readonly rng: Rng;
  private clock: number;
  private latest: number;
  lists: Json[] = [];
  members = new Map<string, Json[]>();
  segments = new Map<string, Json[]>();
  categories = new Map<string, Json[]>();
  campaigns: Json[] = [];
  reports = new Map<string, Json>();
  activity = new Map<string, Activity[]>();
  unsubscribes = new Map<string, Unsubscribe[]>();
  automations: Json[] = [];
  private webId = 100_000;
  private segmentId = 1000;

  constructor(seed: string, counts: Counts = {}, now = Math.floor(Date.now() / 1000)) {
    this.rng = createRng(seed);
    this.clock = now;
    this.latest = now;
    const c = { ...DEFAULT_COUNTS, ...counts };
    c.members.forEach((n, i) => this.addList(i, n));
    for (let i = 0; i < c.campaigns; i++) this.addCampaign(this.past(300), i % 4 !== 3);
    for (let i = 0; i < c.automations; i++) this.addAutomation(i);
  }

  now() {
    return this.clock;
  }

  advance(by: number) {
    this.clock += by;
  }

  tick(): number {
    const at = Math.max(this.clock, this.latest + 1);
    this.latest = at;
    this.clock = at;
    return at;
  }

  private past(days: number) {
    return this.clock - this.rng.int(300, days * 86_400);
  }

  private between(from: number, to: number) {
    return to <= from ? from : this.rng.int(from, to);
  }

  private hex(n: number) {
    let out = "";
    for (let i = 0; i < n; i++) out += "0123456789abcdef"[this.rng.int(0, 15)];
    return out;
  }

  private addList(index: number, memberCount: number) {
    const id = this.hex(10);
    const created = this.past(900);
    const list: Json = {
      id,
      web_id: this.webId++,
      name: `Audience ${index + 1}`,
      contact: { company: "Example Co", address1: "1 Main St", city: "Atlanta", state: "GA", zip: "30308", country: "US" },
      permission_reminder: "You signed up on our site.",
      use_archive_bar: true,
      campaign_defaults: { from_name: "Example", from_email: "news@example.com", subject: "", language: "en" },
      date_created: iso(created),
      list_rating: this.rng.int(0, 5),
      email_type_option: false,
      subscribe_url_short: `http://eepurl.com/${this.hex(6)}`,
      visibility: "pub",
      double_optin: false,
      marketing_permissions: false,
      stats: {},
    };
    this.lists.push(list);
    const members: Json[] = [];
    for (let i = 0; i < memberCount; i++) members.push(this.member(list, this.between(created, this.clock - 60)));
    this.members.set(id, members);
    const segments: Json[] = [];
    for (let i = 0; i < DEFAULT_COUNTS.segments_per_list; i++) {
      const at = this.between(created, this.clock - 60);
      const type = ["static", "saved", "fuzzy"][i % 3]!;
      segments.push({
        id: this.segmentId++,
        name: type === "static" ? `tag-${this.hex(4)}` : `Segment ${this.hex(4)}`,
        member_count: this.rng.int(0, memberCount),
        type,
        created_at: iso(at),
        updated_at: iso(this.between(at, this.clock - 30)),
        options: type === "static" ? {} : { match: "any", conditions: [] },
        list_id: id,
      });
    }
    this.segments.set(id, segments);
    this.categories.set(id, [
      { list_id: id, id: this.hex(10), title: "Interests", display_order: 0, type: "checkboxes" },
      { list_id: id, id: this.hex(10), title: "Frequency", display_order: 1, type: "radio" },
    ]);
    this.refreshStats(id);
  }

  member(list: Json, signup: number, at = signup): Json {
    const first = this.rng.pick(FIRST);
    const last = this.rng.pick(LAST);
    const email = `${first}.${last}.${this.hex(6)}@example.com`.toLowerCase();
    return {
      id: md5(email),
      email_address: email,
      unique_email_id: this.hex(10),
      contact_id: this.hex(32),
      full_name: `${first} ${last}`,
      web_id: this.webId++,
      email_type: "html",
      status: this.rng.weighted(STATUSES),
      merge_fields: { FNAME: first, LNAME: last, ADDRESS: "", PHONE: "" },
      stats: { avg_open_rate: this.rng.int(0, 100) / 100, avg_click_rate: this.rng.int(0, 50) / 100 },
      ip_signup: "",
      timestamp_signup: iso(signup),
      ip_opt: `198.51.100.${this.rng.int(1, 254)}`,
      timestamp_opt: iso(signup),
      member_rating: this.rng.int(1, 5),
      last_changed: iso(this.between(signup, at === signup ? this.clock - 30 : at)),
      language: "en",
      vip: this.rng.chance(0.05),
      email_client: "",
      location: { latitude: 0, longitude: 0, gmtoff: 0, dstoff: 0, country_code: "US", timezone: "" },
      source: this.rng.pick(["API - Generic", "Import", "Hosted Signup Form"]),
      tags_count: 0,
      tags: [],
      list_id: list.id,
    };
  }

  private refreshStats(listId: string) {
    const list = this.lists.find((l) => l.id === listId)!;
    const members = this.members.get(listId) ?? [];
    const count = (status: string) => members.filter((m) => m.status === status).length;
    list.stats = { member_count: count("subscribed"), unsubscribe_count: count("unsubscribed"), cleaned_count: count("cleaned"), total_contacts: members.length };
  }

  private addCampaign(created: number, sent: boolean) {
    const list = this.rng.pick(this.lists);
    const id = this.hex(10);
    const sendTime = sent ? this.between(created + 600, this.clock - 120) : null;
    const campaign: Json = {
      id,
      web_id: this.webId++,
      type: this.rng.pick(["regular", "regular", "plaintext"]),
      create_time: iso(created),
      archive_url: `http://eepurl.com/${this.hex(6)}`,
      status: sent ? "sent" : "save",
      emails_sent: 0,
      send_time: sendTime === null ? "" : iso(sendTime),
      content_type: "template",
      needs_block_refresh: false,
      resendable: false,
      recipients: { list_id: list.id, list_is_active: true, list_name: list.name, segment_text: "", recipient_count: 0 },
      settings: { subject_line: `News ${this.hex(4)}`, title: `Campaign ${this.hex(4)}`, from_name: "Example", reply_to: "news@example.com" },
      tracking: { opens: true, html_clicks: true, text_clicks: false },
    };
    this.campaigns.push(campaign);
    if (sendTime !== null) this.send(campaign, sendTime);
  }

  /** Sends a campaign at `at`: its report, and some recipients' opens, clicks and unsubscribes after that. */
  private send(campaign: Json, at: number) {
    const recipients = campaign.recipients as Json;
    const listId = String(recipients.list_id);
    const audience = (this.members.get(listId) ?? []).filter((m) => m.status === "subscribed");
    campaign.status = "sent";
    campaign.send_time = iso(at);
    campaign.emails_sent = audience.length;
    recipients.recipient_count = audience.length;
    const activity: Activity[] = [];
    const unsubscribes: Unsubscribe[] = [];
    for (const member of audience) {
      const base = { campaign_id: String(campaign.id), list_id: listId, email_id: String(member.id), email_address: String(member.email_address) };
      if (this.rng.chance(0.3)) {
        const opened = this.between(at + 60, Math.max(at + 60, this.clock - 10));
        activity.push({ ...base, action: "open", type: "", timestamp: opened, url: "", ip: "198.51.100.7" });
        if (this.rng.chance(0.4)) activity.push({ ...base, action: "click", type: "", timestamp: opened + 30, url: "https://example.com/a", ip: "198.51.100.7" });
      } else if (this.rng.chance(0.03)) {
        activity.push({ ...base, action: "bounce", type: "hard", timestamp: at + 5, url: "", ip: "" });
      }
      if (this.rng.chance(0.02)) unsubscribes.push({ ...base, timestamp: this.between(at + 60, Math.max(at + 60, this.clock - 10)), reason: "N/A (Unsubscribed from campaign)" });
    }
    this.activity.set(String(campaign.id), activity);
    this.unsubscribes.set(String(campaign.id), unsubscribes);
    const opens = activity.filter((a) => a.action === "open");
    const clicks = activity.filter((a) => a.action === "click");
    const settings = campaign.settings as Json;
    this.reports.set(String(campaign.id), {
      id: campaign.id,
      campaign_title: settings.title,
      type: campaign.type,
      list_id: listId,
      list_is_active: true,
      list_name: recipients.list_name,
      subject_line: settings.subject_line,
      preview_text: "",
      emails_sent: audience.length,
      abuse_reports: 0,
      unsubscribed: unsubscribes.length,
      send_time: iso(at),
      bounces: { hard_bounces: activity.filter((a) => a.action === "bounce").length, soft_bounces: 0, syntax_errors: 0 },
      forwards: { forwards_count: 0, forwards_opens: 0 },
      opens: { opens_total: opens.length, unique_opens: opens.length, open_rate: audience.length ? opens.length / audience.length : 0, last_open: opens.length ? iso(Math.max(...opens.map((o) => o.timestamp))) : "" },
      clicks: { clicks_total: clicks.length, unique_clicks: clicks.length, unique_subscriber_clicks: clicks.length, click_rate: audience.length ? clicks.length / audience.length : 0, last_click: "" },
      list_stats: { sub_rate: 0, unsub_rate: 0, open_rate: 0, click_rate: 0 },
    });
  }

  private addAutomation(i: number) {
    const created = this.past(500);
    const list = this.rng.pick(this.lists);
    this.automations.push({
      id: this.hex(10),
      create_time: iso(created),
      start_time: iso(created + 3600),
      status: ["sending", "paused", "save"][i % 3],
      emails_sent: this.rng.int(0, 5000),
      recipients: { list_id: list.id, list_is_active: true, list_name: list.name },
      settings: { title: `Welcome series ${i + 1}`, from_name: "Example", reply_to: "news@example.com" },
      tracking: { opens: true, html_clicks: true },
      report_summary: { opens: this.rng.int(0, 900), unique_opens: 0, open_rate: 0, clicks: 0, subscriber_clicks: 0, click_rate: 0 },
    });
  }

  // -------------------------------------------------------------------------------------------------------------

  mutate(body: Json): { time: number; created: string[]; updated: string[] } {
    const time = this.tick();
    const created: string[] = [];
    const updated: string[] = [];
    const type = String(body.type ?? "");
    if (type === "members") {
      const list = this.lists.find((l) => l.id === body.list) ?? this.lists[0];
      if (!list) throw new Error("no list");
      const members = this.members.get(String(list.id))!;
      const chosen = Array.isArray(body.update) ? members.filter((m) => (body.update as unknown[]).includes(m.id)) : members.slice(0, Number(body.update ?? 0));
      for (const member of chosen) {
        (member.merge_fields as Json).FNAME = `${String((member.merge_fields as Json).FNAME).split(" ")[0]} ${this.hex(3)}`;
        member.last_changed = iso(time);
        updated.push(String(member.id));
      }
      for (let i = 0; i < Number(body.create ?? 0); i++) {
        const member = this.member(list, time, time);
        member.last_changed = iso(time);
        members.push(member);
        created.push(String(member.id));
      }
      this.refreshStats(String(list.id));
    } else if (type === "campaigns") {
      for (let i = 0; i < Number(body.create ?? 0); i++) {
        this.addCampaign(time, false);
        created.push(String(this.campaigns.at(-1)!.id));
      }
      for (const id of (body.send as string[] | undefined) ?? []) {
        const campaign = this.campaigns.find((c) => c.id === id);
        if (!campaign) throw new Error(`no campaign ${id}`);
        this.send(campaign, time);
        updated.push(id);
      }
    } else if (type === "segments") {
      for (const segments of this.segments.values()) {
        for (const segment of segments.slice(0, Number(body.update ?? 0))) {
          segment.updated_at = iso(time);
          segment.member_count = Number(segment.member_count) + 1;
          updated.push(String(segment.id));
        }
      }
    } else {
      throw new Error(`cannot mutate "${type}": one of members, campaigns, segments`);
    }
    return { time, created, updated };
  }
}
