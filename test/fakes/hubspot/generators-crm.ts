/**
 * Values for companies, contacts, deals and tickets, linked as HubSpot links them: a contact's primary
 * company, a deal's company and some of its people, a ticket's requester and the requester's company.
 */
import {
  activeOwnerId,
  another,
  iso,
  phoneNumber,
  pickLive,
  set,
  slug,
  unique,
  type Edit,
  type GenerateContext,
} from "./gen-helpers";
import {
  ACCOUNT_TIERS,
  DEAL_PIPELINES,
  INDUSTRIES,
  LEAD_STATUSES,
  LIFECYCLE_STAGES,
  PREFERRED_CHANNELS,
  TICKET_CATEGORIES,
  TICKET_PIPELINES,
  TICKET_PRIORITIES,
  TICKET_SOURCES,
  values,
} from "./option-sets";
import { link, primaryLink } from "./records";
import {
  COMPANY_STEMS,
  COMPANY_SUFFIXES,
  DEAL_PRODUCTS,
  FIRST_NAMES,
  JOB_TITLES,
  LAST_NAMES,
  LEGAL_FORMS,
  PLACES,
  TICKET_SUBJECTS,
  TLDS,
} from "./words";

const DEAL_STAGE_WEIGHTS = [
  "appointmentscheduled",
  "appointmentscheduled",
  "qualifiedtobuy",
  "qualifiedtobuy",
  "presentationscheduled",
  "decisionmakerboughtin",
  "contractsent",
  "closedwon",
  "closedwon",
  "closedlost",
];

export function company(ctx: GenerateContext) {
  const { rng, record, data } = ctx;
  const stem = rng.pick(COMPANY_STEMS);
  const suffix = rng.pick(COMPANY_SUFFIXES);
  const legal = rng.pick(LEGAL_FORMS);
  const tld = rng.pick(TLDS);
  const domain = unique(data.usedDomains, (n) => `${slug(stem)}${slug(suffix)}${n === 0 ? "" : n + 1}.${tld}`);
  const [city, state, country] = rng.pick(PLACES);
  const employees = Math.round(Math.exp(rng.next() * Math.log(20000))) + 4;
  set(record, "name", [stem, suffix, legal].filter(Boolean).join(" "));
  set(record, "domain", domain);
  set(record, "website", `https://www.${domain}`);
  set(record, "phone", rng.chance(0.8) ? phoneNumber(rng) : undefined);
  set(record, "industry", rng.pick(values(INDUSTRIES)));
  set(record, "numberofemployees", String(employees));
  set(record, "annualrevenue", rng.chance(0.7) ? String(employees * rng.int(40, 320) * 1000) : undefined);
  set(record, "city", city);
  set(record, "state", state);
  set(record, "country", country);
  set(record, "lifecyclestage", rng.pick(["lead", "opportunity", "customer", "customer", "other"]));
  set(record, "hubspot_owner_id", rng.chance(0.85) ? activeOwnerId(ctx) : undefined);
  set(record, "is_public", String(rng.chance(0.1)));
  set(record, "account_tier", rng.chance(0.6) ? rng.pick(values(ACCOUNT_TIERS)) : undefined);
}

export function contact(ctx: GenerateContext) {
  const { rng, record, data } = ctx;
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const employer = rng.chance(0.85) ? pickLive(rng, data.objects.companies) : undefined;
  const domain = employer?.properties.domain ?? rng.pick(["gmail.com", "outlook.com", "yahoo.com", "proton.me"]);
  const local = `${slug(first)}.${slug(last)}`;
  set(record, "email", unique(data.usedEmails, (n) => `${local}${n === 0 ? "" : n + 1}@${domain}`));
  set(record, "firstname", first);
  set(record, "lastname", last);
  set(record, "phone", rng.chance(0.6) ? phoneNumber(rng) : undefined);
  set(record, "company", employer?.properties.name);
  set(record, "jobtitle", rng.chance(0.75) ? rng.pick(JOB_TITLES) : undefined);
  const [city, state, country] = rng.pick(PLACES);
  if (rng.chance(0.7)) {
    set(record, "city", employer?.properties.city ?? city);
    set(record, "state", employer?.properties.state ?? state);
    set(record, "country", employer?.properties.country ?? country);
  }
  set(record, "lifecyclestage", rng.pick(values(LIFECYCLE_STAGES)));
  set(record, "hs_lead_status", rng.chance(0.7) ? rng.pick(values(LEAD_STATUSES)) : undefined);
  set(record, "hubspot_owner_id", rng.chance(0.8) ? activeOwnerId(ctx) : undefined);
  set(record, "hs_email_optout", String(rng.chance(0.08)));
  if (rng.chance(0.4) && record.updatedAt > record.createdAt) {
    set(record, "notes_last_contacted", iso(rng.int(record.createdAt, record.updatedAt)));
  }
  set(record, "customer_rating", rng.chance(0.3) ? String(rng.int(1, 5)) : undefined);
  set(record, "preferred_channel", rng.chance(0.5) ? rng.pick(values(PREFERRED_CHANNELS)) : undefined);
  if (employer) link(record, "contacts", employer, "companies", true);
}

export function deal(ctx: GenerateContext) {
  const { rng, record, data } = ctx;
  const buyer = rng.chance(0.9) ? pickLive(rng, data.objects.companies) : undefined;
  const amount = rng.int(5, 400) * 250 + (rng.chance(0.2) ? 0.5 : 0);
  set(record, "dealname", `${buyer?.properties.name ?? "Inbound"} - ${rng.pick(DEAL_PRODUCTS)}`);
  set(record, "amount", rng.chance(0.9) ? String(amount) : undefined);
  set(record, "pipeline", DEAL_PIPELINES[0]?.id);
  set(record, "dealstage", rng.pick(DEAL_STAGE_WEIGHTS));
  set(record, "closedate", iso(record.createdAt + rng.int(7, 120) * 86_400_000));
  set(record, "dealtype", rng.pick(["newbusiness", "newbusiness", "existingbusiness"]));
  set(record, "hs_priority", rng.chance(0.6) ? rng.pick(["low", "medium", "high"]) : undefined);
  set(record, "hubspot_owner_id", rng.chance(0.9) ? activeOwnerId(ctx) : undefined);
  set(record, "description", rng.chance(0.3) ? "Follow-up agreed on the last call." : undefined);
  if (buyer) {
    link(record, "deals", buyer, "companies", true);
    const people = (buyer.associations.contacts ?? []).map((entry) => data.objects.contacts.byId.get(entry.id));
    for (const person of people.slice(0, rng.int(1, 3))) if (person) link(record, "deals", person, "contacts");
  } else {
    const person = pickLive(rng, data.objects.contacts);
    if (person) link(record, "deals", person, "contacts");
  }
}

export function ticket(ctx: GenerateContext) {
  const { rng, record, data } = ctx;
  const stage = rng.pick(["1", "2", "3", "4", "4", "4"]);
  const content = "Customer reported the problem by email; steps to reproduce attached.";
  set(record, "subject", rng.pick(TICKET_SUBJECTS));
  set(record, "content", rng.chance(0.8) ? content : undefined);
  set(record, "hs_pipeline", TICKET_PIPELINES[0]?.id);
  set(record, "hs_pipeline_stage", stage);
  set(record, "hs_ticket_priority", rng.pick(["LOW", "MEDIUM", "MEDIUM", "HIGH", "URGENT"]));
  set(record, "hs_ticket_category", rng.chance(0.8) ? rng.pick(values(TICKET_CATEGORIES)) : undefined);
  set(record, "source_type", rng.pick(values(TICKET_SOURCES)));
  set(record, "closed_date", stage === "4" ? iso(record.updatedAt) : undefined);
  set(record, "hubspot_owner_id", rng.chance(0.7) ? activeOwnerId(ctx) : undefined);
  const requester = rng.chance(0.9) ? pickLive(rng, data.objects.contacts) : undefined;
  if (requester) {
    link(record, "tickets", requester, "contacts");
    const employerId = primaryLink(requester, "companies");
    const employer = employerId === undefined ? undefined : data.objects.companies.byId.get(employerId);
    if (employer) link(record, "tickets", employer, "companies", true);
  }
}

export const CRM_EDITS: Readonly<Record<"contacts" | "companies" | "deals" | "tickets", readonly Edit[]>> = {
  contacts: [
    (record, rng) => set(record, "jobtitle", another(rng, JOB_TITLES, record.properties.jobtitle)),
    (record, rng) =>
      set(record, "lifecyclestage", another(rng, values(LIFECYCLE_STAGES), record.properties.lifecyclestage)),
    (record, rng) => set(record, "phone", phoneNumber(rng)),
  ],
  companies: [
    (record, rng) =>
      set(record, "numberofemployees", String(Number(record.properties.numberofemployees ?? "10") + rng.int(1, 50))),
    (record, rng) => set(record, "account_tier", another(rng, values(ACCOUNT_TIERS), record.properties.account_tier)),
  ],
  deals: [
    (record, rng) => set(record, "amount", String(Number(record.properties.amount ?? "0") + rng.int(1, 40) * 250)),
    (record, rng) => set(record, "dealstage", another(rng, DEAL_STAGE_WEIGHTS, record.properties.dealstage)),
  ],
  tickets: [
    (record, rng) =>
      set(record, "hs_ticket_priority", another(rng, values(TICKET_PRIORITIES), record.properties.hs_ticket_priority)),
    (record, _rng, at) => {
      record.properties.hs_pipeline_stage = "4";
      record.properties.closed_date = iso(at);
    },
  ],
};
