/**
 * How a stored record appears on the wire: `{id, properties, createdAt, updatedAt, archived[, archivedAt]
 * [, associations]}` with every property value a string or null (research §2 "Envelope & pagination").
 */
import { CRM_OBJECTS, findProperty, type CrmObjectDef, type CrmObjectName } from "./catalog";
import { iso } from "./gen-helpers";
import { primaryLink, type CrmRecord, type Dataset } from "./records";

export function propertyValue(data: Dataset, def: CrmObjectDef, record: CrmRecord, name: string): string | null {
  if (name === "hs_object_id") return String(record.id);
  if (name === def.createdProperty) return iso(record.createdAt);
  if (name === def.modifiedProperty) return iso(record.updatedAt);
  if (name === "associatedcompanyid" && def.name === "contacts") {
    const companyId = primaryLink(record, "companies");
    const company = companyId === undefined ? undefined : data.objects.companies.byId.get(companyId);
    return company && company.archivedAt === null ? String(company.id) : null;
  }
  return record.properties[name] ?? null;
}

/**
 * With no `properties` asked for, HubSpot returns the type's defaults. With a list, it returns those that
 * exist (unknown names are silently dropped on reads) plus the id, creation and modification properties.
 */
export function selectPropertyNames(def: CrmObjectDef, requested: readonly string[] | null): string[] {
  if (requested === null || requested.length === 0) return [...def.defaultProperties].sort();
  const known = requested.filter((name) => findProperty(def, name) !== undefined);
  return [...new Set([...known, def.createdProperty, "hs_object_id", def.modifiedProperty])].sort();
}

/** `properties=a,b&properties=c` and repeated params are both accepted, as HubSpot does. */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

function associationType(from: CrmObjectDef, to: CrmObjectDef, primary: boolean) {
  return `${from.singular}_to_${to.singular}${primary ? "" : "_unlabeled"}`;
}

function renderAssociations(data: Dataset, def: CrmObjectDef, record: CrmRecord, types: readonly CrmObjectName[]) {
  const out: Record<string, { results: { id: string; type: string }[] }> = {};
  for (const type of types) {
    const target = CRM_OBJECTS[type];
    const live = (record.associations[type] ?? []).filter(
      (entry) => data.objects[type].byId.get(entry.id)?.archivedAt === null,
    );
    if (live.length === 0) continue;
    // A primary link is reported twice, once labelled and once unlabelled, like HubSpot's v3 responses.
    const results = live.flatMap((entry) => [
      ...(entry.primary ? [{ id: String(entry.id), type: associationType(def, target, true) }] : []),
      { id: String(entry.id), type: associationType(def, target, false) },
    ]);
    out[type] = { results };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function renderRecord(
  data: Dataset,
  def: CrmObjectDef,
  record: CrmRecord,
  names: readonly string[],
  associations: readonly CrmObjectName[] = [],
) {
  const properties: Record<string, string | null> = {};
  for (const name of names) properties[name] = propertyValue(data, def, record, name);
  const rendered: Record<string, unknown> = {
    id: String(record.id),
    properties,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    archived: record.archivedAt !== null,
  };
  if (record.archivedAt !== null) rendered.archivedAt = iso(record.archivedAt);
  const linked = renderAssociations(data, def, record, associations);
  if (linked) rendered.associations = linked;
  return rendered;
}
