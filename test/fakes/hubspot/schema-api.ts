/**
 * Schema discovery: /crm/v3/properties/{type}[/{name}] (research §2 "Schema discovery") and the deal and
 * ticket pipelines at /crm/v3/pipelines/{type}, whose stage ids are the values of dealstage and
 * hs_pipeline_stage.
 */
import { PIPELINES, resolveObjectType } from "./catalog";
import type { PropertyDef } from "./property-defs";
import { methodNotAllowed, requireScopes, type RouteContext } from "./context";
import { DATA_START } from "./dataset";
import { notFound, validationError } from "./errors";
import { iso } from "./gen-helpers";
import { ok, type Reply } from "./http-util";

/** HubSpot's own properties date from the portal's creation; custom ones were added later. */
const PORTAL_CREATED = "2019-08-06T02:41:52.276Z";
const CUSTOM_CREATED = iso(DATA_START - 20 * 86_400_000);

function renderProperty(property: PropertyDef, displayOrder: number) {
  return {
    name: property.name,
    label: property.label,
    type: property.type,
    fieldType: property.fieldType,
    description: property.description,
    groupName: property.groupName,
    options: property.options.map((option, index) => ({
      label: option.label,
      value: option.value,
      displayOrder: index,
      hidden: false,
    })),
    displayOrder: property.hubspotDefined ? -1 : displayOrder,
    calculated: property.calculated,
    externalOptions: property.referencedObjectType !== undefined,
    ...(property.referencedObjectType ? { referencedObjectType: property.referencedObjectType } : {}),
    hasUniqueValue: property.hasUniqueValue,
    hidden: false,
    hubspotDefined: property.hubspotDefined,
    modificationMetadata: {
      archivable: !property.hubspotDefined,
      readOnlyDefinition: property.hubspotDefined,
      readOnlyValue: property.readOnlyValue,
    },
    formField: !property.readOnlyValue,
    dataSensitivity: "non_sensitive",
    createdAt: property.hubspotDefined ? PORTAL_CREATED : CUSTOM_CREATED,
    updatedAt: property.hubspotDefined ? PORTAL_CREATED : CUSTOM_CREATED,
    archived: false,
  };
}

export function propertiesApi(ctx: RouteContext, rest: readonly string[]): Reply {
  const [typeSegment, name, ...more] = rest;
  if (typeSegment === undefined || more.length > 0) return notFound();
  const def = resolveObjectType(typeSegment);
  if (!def) return validationError(`Unable to infer object type from: ${typeSegment}`);
  const denied = requireScopes(ctx, [def.schemaScope]);
  if (denied) return denied;
  if (ctx.method !== "GET") return methodNotAllowed();
  // No property of the fake has ever been archived.
  const archived = ctx.query.get("archived")?.toLowerCase() === "true";
  const properties = archived ? [] : def.properties.map(renderProperty);
  if (name === undefined) return ok({ results: properties });
  const property = properties.find((candidate) => candidate.name === name);
  return property ? ok(property) : notFound(`Property ${name} does not exist`);
}

export function pipelinesApi(ctx: RouteContext, rest: readonly string[]): Reply {
  const [typeSegment, ...more] = rest;
  if (typeSegment === undefined || more.length > 0) return notFound();
  const def = resolveObjectType(typeSegment);
  const pipelines = def ? PIPELINES[def.name] : undefined;
  if (!def || !pipelines) return validationError(`Unable to infer object type from: ${typeSegment}`);
  const denied = requireScopes(ctx, [def.readScope]);
  if (denied) return denied;
  if (ctx.method !== "GET") return methodNotAllowed();
  return ok({
    results: pipelines.map((pipeline, index) => ({
      id: pipeline.id,
      label: pipeline.label,
      displayOrder: index,
      archived: false,
      createdAt: PORTAL_CREATED,
      updatedAt: PORTAL_CREATED,
      stages: pipeline.stages.map((stage, order) => ({
        id: stage.id,
        label: stage.label,
        displayOrder: order,
        metadata: stage.metadata,
        archived: false,
        createdAt: PORTAL_CREATED,
        updatedAt: PORTAL_CREATED,
        writePermissions: "CRM_PERMISSIONS_ENFORCEMENT",
      })),
    })),
  });
}
