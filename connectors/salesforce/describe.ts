/**
 * What an org's describe calls say about its objects (research §1, "Schema discovery"): the global describe lists
 * the sObjects, an object's describe lists its fields. From them: the explicit field list a query selects
 * (SOQL has no `SELECT *`, and FIELDS(ALL) needs LIMIT ≤ 200) and the stream spec of an object that the static
 * catalog does not list (custom objects `Invoice__c`).
 */
import type { StreamSpec } from "../kit/contract";
import { ConnectorError, isConnectorError } from "../kit/errors";
import { type Fields, type FieldType, stream } from "../kit/spec-helpers";
import type { SalesforceSession } from "./session";

export interface DescribedField {
  name: string;
  type: string;
}

export interface ObjectDescribe {
  name: string;
  fields: DescribedField[];
}

interface GlobalDescribe {
  sobjects: Array<{ name: string; queryable?: boolean; retrieveable?: boolean; deprecatedAndHidden?: boolean }>;
}

/** Incremental cursor candidates, best first: history and share objects lack SystemModstamp (research §1). */
export const CURSOR_PREFERENCE = ["SystemModstamp", "LastModifiedDate", "CreatedDate"] as const;

/**
 * Describe `type` → column type. `null`: not selected. Compound `address`/`location` fields only repeat their
 * component fields (BillingStreet, BillingCity, …, which are selected), and `base64` fields (attachment bodies) are
 * served as a separate blob URL per record, not as data. Types missing here are selected and typed from their values.
 */
const FIELD_TYPES: Readonly<Record<string, FieldType | null>> = {
  id: "string",
  reference: "string",
  string: "string",
  picklist: "string",
  multipicklist: "string",
  combobox: "string",
  textarea: "string",
  email: "string",
  phone: "string",
  url: "string",
  encryptedstring: "string",
  time: "string",
  boolean: "boolean",
  int: "integer",
  long: "integer",
  double: "number",
  currency: "number",
  percent: "number",
  date: "date",
  datetime: "date-time",
  address: null,
  location: null,
  base64: null,
};

const isSelectable = (field: DescribedField) => FIELD_TYPES[field.type] !== null;

export function selectableFields(described: ObjectDescribe): string[] {
  return described.fields.filter(isSelectable).map((field) => field.name);
}

export function hasField(described: ObjectDescribe, name: string): boolean {
  return described.fields.some((field) => field.name === name && isSelectable(field));
}

export function cursorFieldOf(described: ObjectDescribe): string | null {
  return CURSOR_PREFERENCE.find((name) => hasField(described, name)) ?? null;
}

export async function describeObject(session: SalesforceSession, name: string): Promise<ObjectDescribe> {
  try {
    const body = await session.http.getJson<ObjectDescribe>({ url: session.data(`sobjects/${encodeURIComponent(name)}/describe/`) });
    if (!Array.isArray(body?.fields)) throw new ConnectorError("data", `the describe of ${name} has no fields list`);
    return body;
  } catch (error) {
    if (isConnectorError(error) && error.details.status === 404) {
      throw new ConnectorError(
        "configuration",
        `Salesforce object "${name}" does not exist in this org, or the integration user has no access to it`,
        error.details,
      );
    }
    throw error;
  }
}

/** The stream an object's describe defines: key Id, the best cursor present, deletions if it has IsDeleted. */
export function streamFromDescribe(described: ObjectDescribe): StreamSpec {
  const fields: Fields = {};
  for (const field of described.fields) {
    const type = FIELD_TYPES[field.type];
    if (type) fields[field.name] = type;
  }
  const cursor = cursorFieldOf(described);
  return stream(described.name, {
    primaryKey: hasField(described, "Id") ? ["Id"] : [],
    cursor,
    deletes: hasField(described, "IsDeleted"),
    fields,
  });
}

/** Describes in flight at once: the org allows 25 concurrent long requests, shared with every other integration. */
const DESCRIBE_CONCURRENCY = 4;

/**
 * Every object the integration user can query and retrieve, as streams. Objects of the static catalog keep its
 * spec (the one /loader-types serves); every other object costs one describe call, for its fields and cursor.
 */
export async function discoverStreams(session: SalesforceSession, catalog: readonly StreamSpec[]): Promise<StreamSpec[]> {
  const listing = await session.http.getJson<GlobalDescribe>({ url: session.data("sobjects/") });
  const names = (listing?.sobjects ?? [])
    .filter((o) => o.queryable === true && o.retrieveable === true && o.deprecatedAndHidden !== true)
    .map((o) => o.name);
  const known = new Map(catalog.map((s) => [s.name, s]));
  const out = new Array<StreamSpec | null>(names.length).fill(null);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < names.length; index = next++) {
      const name = names[index]!;
      out[index] = known.get(name) ?? (await describedStream(session, name));
    }
  };
  await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, names.length) }, worker));
  return out.filter((s): s is StreamSpec => s !== null);
}

/** null for an object listed but closed to this user (a describe answering 403/404): it cannot be read either. */
async function describedStream(session: SalesforceSession, name: string): Promise<StreamSpec | null> {
  try {
    return streamFromDescribe(await describeObject(session, name));
  } catch (error) {
    // Only a refusal of this object: the daily limit is a 403 too, and must end the discovery, not shorten it.
    const closed = isConnectorError(error) && error.kind === "configuration" && (error.details.status === 403 || error.details.status === 404);
    if (closed) return null;
    throw error;
  }
}
