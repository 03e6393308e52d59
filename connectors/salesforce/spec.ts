/**
 * Salesforce: REST API + SOQL on the org's instance (research/connectors-saas.md §1). Each sObject is a stream named
 * by its API name; incremental reads filter on SystemModstamp, which moves on every change including system ones
 * (LastModifiedDate does not), and queryAll returns deleted rows with IsDeleted = true.
 *
 * Records are the API's, field for field under their API names, with two changes: the `attributes` envelope
 * (type and URL) is dropped, and a deleted row gets `_loader_deleted_at` (its SystemModstamp, ISO). Compound
 * `address`/`location` fields are not selected (their components are), nor are `base64` blobs.
 */
import { z } from "zod";
import type { LoaderTypeSpec, StreamSpec } from "../kit/contract";
import { apiVersionField, credentialField, type Fields, secretField, startDateField, stream } from "../kit/spec-helpers";

/** Spring '26; Summer '26 (v67.0) is also GA. Salesforce keeps old versions for years, so a pin is safe. */
const API_VERSION = "v66.0";

/**
 * Hosts Salesforce serves orgs from: My Domain (`*.my.salesforce.com`, sandboxes `*.sandbox.my.salesforce.com`),
 * legacy instances (`na1.salesforce.com`), government cloud (`*.salesforce.mil`) and the China cloud
 * (`*.sfcrmproducts.cn`). Fixing the domains keeps the OAuth token from being sent to any other host.
 */
const SALESFORCE_HOST = /(^|\.)(salesforce\.com|force\.com|salesforce\.mil|cloudforce\.com|database\.com|sfcrmproducts\.cn)$/;

const config = z
  .object({
    instance_url: z
      .url({
        protocol: /^https$/,
        hostname: SALESFORCE_HOST,
        error: "must be the https:// URL of your Salesforce org, e.g. https://mycompany.my.salesforce.com",
      })
      .describe("URL of your Salesforce org, e.g. https://mycompany.my.salesforce.com."),
    is_sandbox: z
      .boolean()
      .default(false)
      .describe("Whether the org is a sandbox: tokens are then refreshed at test.salesforce.com instead of login.salesforce.com."),
    client_id: credentialField("Consumer key of the connected app that granted the refresh token."),
    client_secret: secretField("Consumer secret of the connected app."),
    refresh_token: secretField("OAuth refresh token issued to the connected app (scopes `api` and `refresh_token`)."),
    api_version: apiVersionField(API_VERSION, /^v\d{2,3}\.0$/, "v66.0"),
    start_date: startDateField(),
  })
  .strict();

export type SalesforceConfig = z.infer<typeof config>;

/** Every sObject carries these; User has no IsDeleted (users are deactivated, never deleted). */
const system: Fields = { Id: "string", CreatedDate: "date-time", LastModifiedDate: "date-time", SystemModstamp: "date-time" };
const deletable: Fields = { ...system, IsDeleted: "boolean" };

function sobject(name: string, fields: Fields, { deletes = true } = {}) {
  return stream(name, {
    primaryKey: ["Id"],
    cursor: "SystemModstamp",
    deletes,
    fields: { ...(deletes ? deletable : system), ...fields },
  });
}

/** The static catalog: the objects of a Sales/Service Cloud org most loaders want. */
const listed: StreamSpec[] = [
  sobject("Account", { Name: "string", Type: "string", Industry: "string", OwnerId: "string", ParentId: "string" }),
  sobject("Contact", { AccountId: "string", FirstName: "string", LastName: "string", Email: "string", OwnerId: "string" }),
  sobject("Lead", {
    FirstName: "string",
    LastName: "string",
    Company: "string",
    Email: "string",
    Status: "string",
    IsConverted: "boolean",
  }),
  sobject("Opportunity", {
    AccountId: "string",
    Name: "string",
    StageName: "string",
    Amount: "number",
    CloseDate: "date",
    IsClosed: "boolean",
    IsWon: "boolean",
    OwnerId: "string",
  }),
  sobject("OpportunityLineItem", { OpportunityId: "string", Quantity: "number", UnitPrice: "number", TotalPrice: "number" }),
  sobject(
    "User",
    { Username: "string", Email: "string", FirstName: "string", LastName: "string", IsActive: "boolean" },
    { deletes: false },
  ),
  sobject("Case", {
    CaseNumber: "string",
    AccountId: "string",
    ContactId: "string",
    Status: "string",
    Priority: "string",
    IsClosed: "boolean",
  }),
  sobject("Campaign", {
    Name: "string",
    Type: "string",
    Status: "string",
    StartDate: "date",
    EndDate: "date",
    IsActive: "boolean",
  }),
  sobject("CampaignMember", { CampaignId: "string", LeadId: "string", ContactId: "string", Status: "string" }),
  sobject("Task", {
    Subject: "string",
    Status: "string",
    WhoId: "string",
    WhatId: "string",
    ActivityDate: "date",
    OwnerId: "string",
  }),
  sobject("Event", {
    Subject: "string",
    WhoId: "string",
    WhatId: "string",
    StartDateTime: "date-time",
    EndDateTime: "date-time",
    OwnerId: "string",
  }),
];

const NAME = "[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*";
/**
 * Objects a loader can select beyond the static list: standard objects (`Product2`) and custom objects with their
 * companions, optionally namespaced (`Invoice__c`, `ns__Invoice__c`, `Invoice__History`). Not the suffixes that
 * cannot be replicated with SOQL: external objects (`__x`, no queryAll, no SystemModstamp), platform events
 * (`__e`, not queryable) and big objects (`__b`).
 */
const UNLISTED_NAME = new RegExp(`^(?:(?:${NAME}__)?${NAME}__(?:c|kav|mdt|History|Share|Feed)|${NAME})$`);

/**
 * The spec of such a stream assumes the common case (SystemModstamp, deletions through queryAll); when the run
 * starts, the object's describe says what it really has (connectors/salesforce/describe.ts).
 */
function unlistedStream(name: string): StreamSpec | null {
  if (name.length > 120 || !UNLISTED_NAME.test(name)) return null;
  // Object names are case-insensitive: `account` would read Account into a second table.
  if (listed.some((s) => s.name.toLowerCase() === name.toLowerCase())) return null;
  return stream(name, { primaryKey: ["Id"], cursor: "SystemModstamp", deletes: true, fields: { Id: "string", SystemModstamp: "date-time" } });
}

export const salesforceSpec = {
  type: "salesforce",
  title: "Salesforce",
  category: "crm",
  auth_method: "oauth2_refresh_token",
  api_version: API_VERSION,
  config,
  secret_fields: ["client_secret", "refresh_token"],
  credential_sets: [["client_id", "client_secret", "refresh_token"]],
  streams: listed,
  unlistedStream,
} satisfies LoaderTypeSpec<SalesforceConfig>;
