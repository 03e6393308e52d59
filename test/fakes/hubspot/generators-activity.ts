/**
 * Values for products, line items and engagements. Line items belong to a deal and copy their product's
 * name and price; engagements are logged against a contact and that contact's company.
 */
import type { CrmObjectName } from "./catalog";
import {
  activeOwnerId,
  another,
  decimal,
  iso,
  pickLive,
  set,
  type Edit,
  type GenerateContext,
  type Generator,
} from "./gen-helpers";
import {
  CALL_DIRECTIONS,
  CALL_STATUSES,
  EMAIL_DIRECTIONS,
  EMAIL_STATUSES,
  MEETING_OUTCOMES,
  RECURRING_PERIODS,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
  values,
} from "./option-sets";
import { link, primaryLink } from "./records";
import { DEAL_PRODUCTS, TICKET_SUBJECTS } from "./words";

const EDITIONS = ["Starter", "Professional", "Enterprise"] as const;

function product(ctx: GenerateContext) {
  const { rng, record } = ctx;
  const price = rng.int(4, 400) * 25;
  set(record, "name", `${rng.pick(DEAL_PRODUCTS)} (${rng.pick(EDITIONS)})`);
  set(record, "description", rng.chance(0.6) ? "Billed per workspace; includes standard support." : undefined);
  set(record, "price", String(price));
  set(record, "hs_sku", `SKU-${record.id}`);
  set(record, "hs_cost_of_goods_sold", rng.chance(0.5) ? decimal(price * rng.int(20, 60) / 100) : undefined);
  set(record, "hs_recurring_billing_period", rng.chance(0.7) ? rng.pick(values(RECURRING_PERIODS)) : undefined);
}

function lineItem(ctx: GenerateContext) {
  const { rng, record, data } = ctx;
  const source = pickLive(rng, data.objects.products);
  const price = Number(source?.properties.price ?? String(rng.int(4, 400) * 25));
  const quantity = rng.int(1, 25);
  const discount = rng.chance(0.2) ? rng.int(1, 10) * 5 : 0;
  set(record, "name", source?.properties.name ?? "Custom service");
  set(record, "price", String(price));
  set(record, "quantity", String(quantity));
  set(record, "discount", discount > 0 ? String(discount) : undefined);
  set(record, "amount", decimal((price - discount) * quantity));
  set(record, "hs_product_id", source ? String(source.id) : undefined);
  set(record, "hs_sku", source?.properties.hs_sku);
  const parent = pickLive(rng, data.objects.deals);
  if (parent) link(record, "line_items", parent, "deals");
}

/** Shared by every engagement: when it happened, who logged it, and whom it concerns. */
function engagement(type: CrmObjectName, fill: Generator): Generator {
  return (ctx) => {
    const { rng, record, data } = ctx;
    set(record, "hs_timestamp", iso(record.createdAt - rng.int(0, 48) * 3_600_000));
    set(record, "hubspot_owner_id", activeOwnerId(ctx));
    fill(ctx);
    const person = pickLive(rng, data.objects.contacts);
    if (!person) return;
    link(record, type, person, "contacts");
    const employerId = primaryLink(person, "companies");
    const employer = employerId === undefined ? undefined : data.objects.companies.byId.get(employerId);
    if (employer) link(record, type, employer, "companies");
  };
}

const call = engagement("calls", ({ rng, record }) => {
  const status = rng.pick(values(CALL_STATUSES));
  set(record, "hs_call_title", `Call about ${rng.pick(DEAL_PRODUCTS).toLowerCase()}`);
  set(record, "hs_call_body", rng.chance(0.7) ? "Discussed next steps and pricing." : undefined);
  set(record, "hs_call_duration", status === "COMPLETED" ? String(rng.int(30, 3600) * 1000) : "0");
  set(record, "hs_call_direction", rng.pick(values(CALL_DIRECTIONS)));
  set(record, "hs_call_status", status);
});

const email = engagement("emails", ({ rng, record }) => {
  set(record, "hs_email_subject", `Re: ${rng.pick(TICKET_SUBJECTS)}`);
  set(record, "hs_email_text", "Thanks for getting back to us. Here is what we found.");
  set(record, "hs_email_direction", rng.pick(values(EMAIL_DIRECTIONS)));
  set(record, "hs_email_status", rng.pick(["SENT", "SENT", "SENT", "BOUNCED", "FAILED"]));
});

const meeting = engagement("meetings", ({ rng, record }) => {
  const start = record.createdAt + rng.int(1, 14) * 86_400_000;
  set(record, "hs_meeting_title", `${rng.pick(DEAL_PRODUCTS)} review`);
  set(record, "hs_meeting_body", rng.chance(0.5) ? "Agenda: goals, timeline, open questions." : undefined);
  set(record, "hs_meeting_start_time", iso(start));
  set(record, "hs_meeting_end_time", iso(start + rng.pick([30, 45, 60]) * 60_000));
  set(record, "hs_meeting_location", rng.pick(["Zoom", "Google Meet", "Office", "Phone"]));
  set(record, "hs_meeting_outcome", rng.pick(values(MEETING_OUTCOMES)));
});

const note = engagement("notes", ({ rng, record }) => {
  set(record, "hs_note_body", rng.pick(["Prefers email over calls.", "Budget approved for Q3.", "Asked for a demo."]));
});

const task = engagement("tasks", ({ rng, record }) => {
  set(record, "hs_task_subject", `Follow up: ${rng.pick(DEAL_PRODUCTS).toLowerCase()}`);
  set(record, "hs_task_body", rng.chance(0.5) ? "Send the proposal and book a call." : undefined);
  set(record, "hs_task_status", rng.pick(values(TASK_STATUSES)));
  set(record, "hs_task_priority", rng.pick(values(TASK_PRIORITIES)));
  set(record, "hs_task_type", rng.pick(values(TASK_TYPES)));
});

export const ACTIVITY_GENERATORS = {
  products: product,
  line_items: lineItem,
  calls: call,
  emails: email,
  meetings: meeting,
  notes: note,
  tasks: task,
} as const;

type ActivityName = keyof typeof ACTIVITY_GENERATORS;

export const ACTIVITY_EDITS: Readonly<Record<ActivityName, readonly Edit[]>> = {
  products: [
    (record, rng) => set(record, "price", String(Number(record.properties.price ?? "0") + rng.int(1, 8) * 25)),
  ],
  line_items: [
    (record, rng) => {
      const quantity = Number(record.properties.quantity ?? "1") + rng.int(1, 5);
      const unit = Number(record.properties.price ?? "0") - Number(record.properties.discount ?? "0");
      set(record, "quantity", String(quantity));
      set(record, "amount", decimal(unit * quantity));
    },
  ],
  calls: [
    (record, rng) => set(record, "hs_call_status", another(rng, values(CALL_STATUSES), record.properties.hs_call_status)),
  ],
  emails: [
    (record, rng) => set(record, "hs_email_status", another(rng, values(EMAIL_STATUSES), record.properties.hs_email_status)),
  ],
  meetings: [
    (record, rng) =>
      set(record, "hs_meeting_outcome", another(rng, values(MEETING_OUTCOMES), record.properties.hs_meeting_outcome)),
  ],
  notes: [(record) => set(record, "hs_note_body", `${record.properties.hs_note_body ?? ""} (edited)`.trim())],
  tasks: [
    (record, rng) => set(record, "hs_task_status", another(rng, values(TASK_STATUSES), record.properties.hs_task_status)),
  ],
};
