/** Reading a (possibly relationship) path off a stored record, and rendering values as the REST API does. */
import type { Dataset } from "../dataset";
import { type FieldValue, type SfRecord, formatDateTime } from "../records";
import type { FieldDef, ObjectDef } from "../schema";
import type { ResolvedPath } from "./bind";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Follows a lookup; a missing or deleted parent reads as null, as a cleared lookup does. */
export function follow(dataset: Dataset, record: SfRecord, via: FieldDef, target: ObjectDef): SfRecord | undefined {
  const id = record[via.name];
  if (typeof id !== "string") return undefined;
  const parent = dataset.stores.get(target.name)?.byId.get(id);
  return parent && parent.IsDeleted !== true ? parent : undefined;
}

export function readPath(dataset: Dataset, record: SfRecord, path: ResolvedPath): FieldValue {
  let current: SfRecord | undefined = record;
  for (const hop of path.hops) {
    current = current ? follow(dataset, current, hop.via, hop.target) : undefined;
  }
  return current ? (current[path.field.name] ?? null) : null;
}

/** Compound address fields are assembled from their components (`BillingAddress` ← `BillingStreet`, …). */
function addressOf(record: SfRecord, field: FieldDef): JsonValue {
  const prefix = field.name.replace(/Address$/, "");
  const part = (name: string) => record[`${prefix}${name}`] ?? null;
  const value = {
    city: part("City"),
    country: part("Country"),
    geocodeAccuracy: null,
    latitude: null,
    longitude: null,
    postalCode: part("PostalCode"),
    state: part("State"),
    street: part("Street"),
  };
  return [value.city, value.country, value.postalCode, value.state, value.street].every((v) => v === null) ? null : value;
}

export function renderField(record: SfRecord, field: FieldDef): JsonValue {
  if (field.type === "address") return addressOf(record, field);
  const value = record[field.name] ?? null;
  if (field.type === "datetime" && typeof value === "number") return formatDateTime(value);
  return value;
}

export function recordUrl(apiVersion: string, objectName: string, id: FieldValue): string {
  return `/services/data/v${apiVersion}/sobjects/${objectName}/${String(id)}`;
}

/** A whole record (all fields, declared order), as `GET /sobjects/{Object}/{id}` returns it. */
export function renderRecord(apiVersion: string, def: ObjectDef, record: SfRecord, fields: readonly FieldDef[] = def.fields): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { attributes: { type: def.name, url: recordUrl(apiVersion, def.name, record.Id ?? null) } };
  for (const field of fields) out[field.name] = renderField(record, field);
  return out;
}
