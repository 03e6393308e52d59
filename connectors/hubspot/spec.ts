/**
 * HubSpot CRM v3 (research/connectors-saas.md §2). Objects are read with the list endpoint on a first sync and with
 * the search endpoint (filter on the last-modified property) afterwards; `archived=true` lists the records deleted
 * since, which arrive as deletes. Every object record carries top-level `updatedAt`, which is the cursor stored here
 * whatever property the search filter uses (`lastmodifieddate` for contacts, `hs_lastmodifieddate` for the rest).
 *
 * Record shape (the one reshaping of this type): an object record's `properties` are lifted to top-level fields next
 * to id, createdAt, updatedAt, archived and archivedAt, keeping HubSpot's property names (a property that collides
 * with one of those is kept as `properties_<name>`). Number and bool properties are cast from HubSpot's strings by
 * their declared type; the others stay strings. Every property of the type is read, custom ones included. Owners and
 * pipelines are kept as the API sends them.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import { exclusiveCredentialSets, oauthRefreshFields, secretField, startDateField, stream } from "../kit/spec-helpers";

const credentialSets = [["access_token"], ["client_id", "client_secret", "refresh_token"]];

const config = z
  .object({
    access_token: secretField("Access token of a HubSpot private app (pat-…), with the crm.objects.*.read scopes. Give this OR the OAuth fields."),
    ...oauthRefreshFields("HubSpot"),
    start_date: startDateField(),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type HubspotConfig = z.infer<typeof config>;

/** The CRM object envelope; the lifted properties are typed from their values (they differ per account). */
const objectFields = {
  id: "string",
  createdAt: "date-time",
  updatedAt: "date-time",
  archived: "boolean",
  archivedAt: "date-time",
} as const;

const crmObject = (objectType: string) =>
  stream(objectType, { primaryKey: ["id"], cursor: "updatedAt", deletes: true, fields: objectFields });

/** Pipelines have no paging and no modified filter: small, read whole. */
const pipelines = (name: string) =>
  stream(name, {
    primaryKey: ["id"],
    cursor: null,
    fields: {
      id: "string",
      label: "string",
      displayOrder: "integer",
      stages: "array",
      createdAt: "date-time",
      updatedAt: "date-time",
      archived: "boolean",
    },
  });

export const hubspotSpec = {
  type: "hubspot",
  title: "HubSpot",
  category: "crm",
  auth_method: "bearer_token|oauth2_refresh_token",
  // HubSpot versions by path (/crm/v3/...), not by header; the date-versioned paths (/crm/objects/2026-03/...) carry
  // the same payloads.
  api_version: "v3",
  config,
  secret_fields: ["access_token", "client_secret", "refresh_token"],
  credential_sets: credentialSets,
  streams: [
    ...["contacts", "companies", "deals", "tickets", "line_items", "products"].map(crmObject),
    // Engagements are CRM objects of their own in v3.
    ...["calls", "emails", "meetings", "notes", "tasks"].map(crmObject),
    // GET /crm/v3/owners has no modified filter: incremental filters on updatedAt client-side; archived=true lists
    // deactivated owners.
    stream("owners", {
      primaryKey: ["id"],
      cursor: "updatedAt",
      deletes: true,
      fields: {
        id: "string",
        email: "string",
        firstName: "string",
        lastName: "string",
        userId: "integer",
        createdAt: "date-time",
        updatedAt: "date-time",
        archived: "boolean",
      },
    }),
    // GET /crm/v3/pipelines/{deals|tickets}
    pipelines("deal_pipelines"),
    pipelines("ticket_pipelines"),
  ],
} satisfies LoaderTypeSpec<HubspotConfig>;
