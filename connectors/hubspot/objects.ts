/**
 * CRM objects as data: which property each type keeps its modification time in, the type's properties (asked of
 * the properties API on every read, so custom properties arrive without configuration), and how a record is shaped
 * into a row (research/connectors-saas.md §2 "Streams", "Schema discovery").
 */
import type { SourceRecord } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { extractRecords, flattenRecord } from "../kit/records";
import { crmPath } from "./client";

export interface CrmObject {
  /** The path segment of /crm/v3/objects/{objectType}; also the stream name. */
  objectType: string;
  /** The property the search filter compares (the record's top-level `updatedAt` carries the same instant). */
  modifiedProperty: string;
}

/** Contacts predate the `hs_` naming and keep the time in `lastmodifieddate`; every other type in `hs_lastmodifieddate`. */
const MODIFIED_PROPERTY: Record<string, string> = {
  contacts: "lastmodifieddate",
  companies: "hs_lastmodifieddate",
  deals: "hs_lastmodifieddate",
  tickets: "hs_lastmodifieddate",
  line_items: "hs_lastmodifieddate",
  products: "hs_lastmodifieddate",
  calls: "hs_lastmodifieddate",
  emails: "hs_lastmodifieddate",
  meetings: "hs_lastmodifieddate",
  notes: "hs_lastmodifieddate",
  tasks: "hs_lastmodifieddate",
};

export function crmObject(stream: string): CrmObject | undefined {
  const modifiedProperty = MODIFIED_PROPERTY[stream];
  return modifiedProperty ? { objectType: stream, modifiedProperty } : undefined;
}

export interface PropertySet {
  names: string[];
  /** The properties API's `type` per name: string, number, date, datetime, enumeration, bool. */
  types: Map<string, string>;
}

export async function objectProperties(http: HttpClient, objectType: string): Promise<PropertySet> {
  const body = await http.getJson({ url: crmPath(`properties/${objectType}`), query: { archived: false } });
  const names: string[] = [];
  const types = new Map<string, string>();
  for (const property of extractRecords(body, "results")) {
    if (typeof property.name !== "string" || !property.name) continue;
    names.push(property.name);
    if (typeof property.type === "string") types.set(property.name, property.type);
  }
  if (names.length === 0) throw new ConnectorError("data", `HubSpot listed no properties for ${objectType}`);
  return { names, types };
}

/**
 * A record as a row: `properties.*` lifted to top-level columns next to id, createdAt, updatedAt, archived
 * (and archivedAt). HubSpot sends every property value as a string; number and bool properties are cast by their
 * declared type so the warehouse types the column, an empty value becomes null, and a number that a double cannot
 * hold exactly (a 20-digit id) stays a string rather than lose digits.
 */
export function shapeRecord(properties: PropertySet): (record: SourceRecord) => SourceRecord {
  return (record) => {
    const nested = record.properties;
    if (nested === null || typeof nested !== "object" || Array.isArray(nested)) return record;
    const cast: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(nested)) cast[name] = castValue(properties.types.get(name), value);
    return flattenRecord({ ...record, properties: cast }, { unnest: ["properties"] });
  };
}

const DECIMAL = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

function castValue(type: string | undefined, value: unknown): unknown {
  if (typeof value !== "string" || (type !== "number" && type !== "bool")) return value;
  if (value === "") return null;
  if (type === "bool") return value === "true" ? true : value === "false" ? false : value;
  if (!DECIMAL.test(value)) return value;
  const number = Number(value);
  const integral = /^-?\d+$/.test(value);
  return Number.isFinite(number) && (!integral || Number.isSafeInteger(number)) ? number : value;
}
