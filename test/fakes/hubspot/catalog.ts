/**
 * The CRM object types the fake serves: identity, scopes, default properties and the property list of each.
 * Everything here is data; generation lives in the generators, rendering in record-view.ts.
 */
import { COMMERCE_OBJECTS } from "./catalog-commerce";
import { ENGAGEMENT_OBJECTS } from "./catalog-engagements";
import {
  ACCOUNT_TIERS,
  DEAL_PIPELINES,
  DEAL_PRIORITIES,
  DEAL_TYPES,
  INDUSTRIES,
  LEAD_STATUSES,
  LIFECYCLE_STAGES,
  PREFERRED_CHANNELS,
  TICKET_CATEGORIES,
  TICKET_PIPELINES,
  TICKET_PRIORITIES,
  TICKET_SOURCES,
  stageOptions,
  type Pipeline,
} from "./option-sets";
import {
  bool,
  datetime,
  number,
  ownerProperty,
  property,
  select,
  systemProperties,
  text,
  textarea,
  type PropertyDef,
} from "./property-defs";

export type CrmObjectName =
  | "contacts"
  | "companies"
  | "deals"
  | "tickets"
  | "products"
  | "line_items"
  | "calls"
  | "emails"
  | "meetings"
  | "notes"
  | "tasks";

export interface CrmObjectDef {
  name: CrmObjectName;
  singular: string;
  objectTypeId: string;
  /** Engagements name their creation property `hs_createdate`; everything else `createdate`. */
  createdProperty: string;
  /**
   * The property HubSpot keeps the last-modified time in: contacts predate the hs_ naming and use
   * `lastmodifieddate`; every other object uses `hs_lastmodifieddate` (research §2, stream table).
   */
  modifiedProperty: string;
  /** What GET list and search return when the request names no properties (verify: observed defaults). */
  defaultProperties: readonly string[];
  /** Properties the free-text `query` of search looks in. */
  queryProperties: readonly string[];
  readScope: string;
  writeScope: string;
  schemaScope: string;
  properties: readonly PropertyDef[];
}

const contacts: CrmObjectDef = {
  name: "contacts",
  singular: "contact",
  objectTypeId: "0-1",
  createdProperty: "createdate",
  modifiedProperty: "lastmodifieddate",
  defaultProperties: ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
  queryProperties: ["firstname", "lastname", "email", "phone", "company"],
  readScope: "crm.objects.contacts.read",
  writeScope: "crm.objects.contacts.write",
  schemaScope: "crm.schemas.contacts.read",
  properties: [
    ...systemProperties("contactinformation", "createdate", "lastmodifieddate"),
    text("email", "Email", "contactinformation", { unique: true }),
    text("firstname", "First Name", "contactinformation"),
    text("lastname", "Last Name", "contactinformation"),
    property("phone", "Phone Number", "string", "phonenumber", "contactinformation"),
    text("company", "Company Name", "contactinformation"),
    text("jobtitle", "Job Title", "contactinformation"),
    text("city", "City", "contactinformation"),
    text("state", "State/Region", "contactinformation"),
    text("country", "Country/Region", "contactinformation"),
    property("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation", {
      options: LIFECYCLE_STAGES,
    }),
    select("hs_lead_status", "Lead Status", "sales_properties", LEAD_STATUSES),
    ownerProperty("sales_properties"),
    number("associatedcompanyid", "Primary Associated Company ID", "contactinformation", { readOnly: true }),
    bool("hs_email_optout", "Unsubscribed from all email", "contactinformation"),
    datetime("notes_last_contacted", "Last Contacted", "sales_properties", { readOnly: true, calculated: true }),
    number("customer_rating", "Customer rating", "contactinformation", { custom: true, description: "1 to 5" }),
    select("preferred_channel", "Preferred channel", "contactinformation", PREFERRED_CHANNELS, { custom: true }),
  ],
};

const companies: CrmObjectDef = {
  name: "companies",
  singular: "company",
  objectTypeId: "0-2",
  createdProperty: "createdate",
  modifiedProperty: "hs_lastmodifieddate",
  defaultProperties: ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
  queryProperties: ["name", "domain", "phone", "website"],
  readScope: "crm.objects.companies.read",
  writeScope: "crm.objects.companies.write",
  schemaScope: "crm.schemas.companies.read",
  properties: [
    ...systemProperties("companyinformation", "createdate", "hs_lastmodifieddate"),
    text("name", "Company name", "companyinformation"),
    text("domain", "Company Domain Name", "companyinformation", { unique: true }),
    text("website", "Website URL", "companyinformation"),
    property("phone", "Phone Number", "string", "phonenumber", "companyinformation"),
    select("industry", "Industry", "companyinformation", INDUSTRIES),
    number("numberofemployees", "Number of Employees", "companyinformation"),
    number("annualrevenue", "Annual Revenue", "companyinformation"),
    text("city", "City", "companyinformation"),
    text("state", "State/Region", "companyinformation"),
    text("country", "Country/Region", "companyinformation"),
    property("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation", {
      options: LIFECYCLE_STAGES,
    }),
    ownerProperty("companyinformation"),
    bool("is_public", "Is Public", "companyinformation"),
    select("account_tier", "Account tier", "companyinformation", ACCOUNT_TIERS, { custom: true }),
  ],
};

const deals: CrmObjectDef = {
  name: "deals",
  singular: "deal",
  objectTypeId: "0-3",
  createdProperty: "createdate",
  modifiedProperty: "hs_lastmodifieddate",
  defaultProperties: [
    "amount",
    "closedate",
    "createdate",
    "dealname",
    "dealstage",
    "hs_lastmodifieddate",
    "hs_object_id",
    "pipeline",
  ],
  queryProperties: ["dealname"],
  readScope: "crm.objects.deals.read",
  writeScope: "crm.objects.deals.write",
  schemaScope: "crm.schemas.deals.read",
  properties: [
    ...systemProperties("dealinformation", "createdate", "hs_lastmodifieddate"),
    text("dealname", "Deal Name", "dealinformation"),
    number("amount", "Amount", "dealinformation"),
    select("pipeline", "Pipeline", "dealinformation", [{ value: "default", label: "Sales Pipeline" }]),
    property("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation", {
      options: stageOptions(DEAL_PIPELINES),
    }),
    datetime("closedate", "Close Date", "dealinformation"),
    select("dealtype", "Deal Type", "dealinformation", DEAL_TYPES),
    select("hs_priority", "Priority", "dealinformation", DEAL_PRIORITIES),
    ownerProperty("dealinformation"),
    textarea("description", "Deal Description", "dealinformation"),
  ],
};

const tickets: CrmObjectDef = {
  name: "tickets",
  singular: "ticket",
  objectTypeId: "0-5",
  createdProperty: "createdate",
  modifiedProperty: "hs_lastmodifieddate",
  defaultProperties: [
    "content",
    "createdate",
    "hs_lastmodifieddate",
    "hs_object_id",
    "hs_pipeline",
    "hs_pipeline_stage",
    "hs_ticket_category",
    "hs_ticket_priority",
    "subject",
  ],
  queryProperties: ["subject", "content"],
  readScope: "tickets",
  writeScope: "tickets",
  schemaScope: "crm.schemas.tickets.read",
  properties: [
    ...systemProperties("ticketinformation", "createdate", "hs_lastmodifieddate"),
    text("subject", "Ticket name", "ticketinformation"),
    textarea("content", "Ticket description", "ticketinformation"),
    select("hs_pipeline", "Pipeline", "ticketinformation", [{ value: "0", label: "Support Pipeline" }]),
    select("hs_pipeline_stage", "Ticket status", "ticketinformation", stageOptions(TICKET_PIPELINES)),
    select("hs_ticket_priority", "Priority", "ticketinformation", TICKET_PRIORITIES),
    select("hs_ticket_category", "Category", "ticketinformation", TICKET_CATEGORIES),
    select("source_type", "Source", "ticketinformation", TICKET_SOURCES),
    datetime("closed_date", "Close date", "ticketinformation"),
    ownerProperty("ticketinformation"),
  ],
};

export const CRM_OBJECTS: Readonly<Record<CrmObjectName, CrmObjectDef>> = {
  contacts,
  companies,
  deals,
  tickets,
  ...COMMERCE_OBJECTS,
  ...ENGAGEMENT_OBJECTS,
};
export const CRM_OBJECT_NAMES = Object.keys(CRM_OBJECTS) as CrmObjectName[];

/** HubSpot accepts an object type by plural name, singular name or type id ("contacts", "contact", "0-1"). */
export function resolveObjectType(segment: string): CrmObjectDef | undefined {
  const wanted = segment.toLowerCase();
  return CRM_OBJECT_NAMES.map((name) => CRM_OBJECTS[name]).find(
    (def) => def.name === wanted || def.singular === wanted || def.objectTypeId === wanted,
  );
}

export function findProperty(def: CrmObjectDef, name: string): PropertyDef | undefined {
  return def.properties.find((candidate) => candidate.name === name);
}

export const PIPELINES: Partial<Record<CrmObjectName, readonly Pipeline[]>> = {
  deals: DEAL_PIPELINES,
  tickets: TICKET_PIPELINES,
};
