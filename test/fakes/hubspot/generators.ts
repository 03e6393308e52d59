/**
 * The generator and the edits of every object type. Values are stored as the strings HubSpot sends
 * ("1234.5", "true", ISO datetimes), never as numbers or booleans.
 */
import type { CrmObjectName } from "./catalog";
import type { Edit, Generator } from "./gen-helpers";
import { ACTIVITY_EDITS, ACTIVITY_GENERATORS } from "./generators-activity";
import { CRM_EDITS, company, contact, deal, ticket } from "./generators-crm";
import type { Rng } from "../shared/prng";
import type { CrmRecord } from "./records";

export const GENERATORS: Readonly<Record<CrmObjectName, Generator>> = {
  companies: company,
  contacts: contact,
  deals: deal,
  tickets: ticket,
  ...ACTIVITY_GENERATORS,
};

/**
 * Later types link to earlier ones (a contact to its company, a line item to its deal), so generation
 * runs in this order; owners come before all of them.
 */
export const GENERATION_ORDER: readonly CrmObjectName[] = [
  "companies",
  "contacts",
  "deals",
  "tickets",
  "products",
  "line_items",
  "calls",
  "emails",
  "meetings",
  "notes",
  "tasks",
];

const EDITS: Readonly<Record<CrmObjectName, readonly Edit[]>> = { ...CRM_EDITS, ...ACTIVITY_EDITS };

/** One random edit per updated record, so every update visibly changes a field as well as the timestamp. */
export function applyEdit(type: CrmObjectName, record: CrmRecord, rng: Rng, at: number) {
  const edits = EDITS[type];
  const before = JSON.stringify(record.properties);
  rng.pick(edits)(record, rng, at);
  // Closing an already closed ticket changes nothing; the first edit of each type always does.
  if (JSON.stringify(record.properties) === before) edits[0]?.(record, rng, at);
}
