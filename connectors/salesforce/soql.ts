/**
 * The one SOQL statement a read sends: an explicit field list, an inclusive lower bound on the cursor, and a total
 * order (cursor, then Id) so that a position in the result can be named and a new query can start right after it.
 */
import { ConnectorError } from "../kit/errors";

/** The last record read, in the query's order: where a replacement query starts when a query locator has expired. */
// A type, not an interface: it is stored in checkpoints, which must be assignable to JsonObject.
export type ResumePosition = {
  /** The record's cursor value; null when it had none. */
  at: string | null;
  id: string;
};

export interface QueryShape {
  object: string;
  fields: readonly string[];
  cursor: string | null;
  /** Inclusive lower bound on the cursor (`>=`): the committed state or the configured start date. */
  since: string | null;
  /** Start strictly after this position instead (it lies at or after `since`). */
  after: ResumePosition | null;
}

/** sObject API names: letters, digits and single underscores, with `__` before a namespace or suffix (`ns__Foo__c`). */
const SOBJECT_NAME = /^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*(?:__[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*){0,2}$/;
const RECORD_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

/**
 * A SOQL datetime literal: unquoted, with a zone (`2024-01-01T00:00:00Z`). Values read from the API look like
 * `2025-03-04T05:06:07.000+0000`, which SOQL does not take back as a literal. Salesforce keeps datetimes to the
 * second, so flooring to whole seconds — the documented literal form — loses nothing.
 */
export function dateTimeLiteral(value: string): string {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  if (Number.isNaN(ms)) throw new ConnectorError("data", `"${value}" is not a timestamp, so it cannot bound a Salesforce query`);
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function idLiteral(id: string): string {
  // Ids come back from checkpoints, which travel through the queue: only a well-formed id is spliced into SOQL.
  if (!RECORD_ID.test(id)) throw new ConnectorError("data", `"${id}" is not a Salesforce record id`);
  return `'${id}'`;
}

/** Records after `position` in the order (cursor ASC NULLS FIRST, Id ASC). */
function afterCondition(cursor: string | null, position: ResumePosition): string {
  const id = idLiteral(position.id);
  if (!cursor) return `Id > ${id}`;
  if (position.at === null) return `(${cursor} != null OR Id > ${id})`;
  const at = dateTimeLiteral(position.at);
  return `(${cursor} > ${at} OR (${cursor} = ${at} AND Id > ${id}))`;
}

export function soqlQuery(shape: QueryShape): string {
  if (!SOBJECT_NAME.test(shape.object)) throw new ConnectorError("configuration", `"${shape.object}" is not a Salesforce object name`);
  const { cursor, since, after } = shape;
  const where = after ? afterCondition(cursor, after) : cursor && since ? `${cursor} >= ${dateTimeLiteral(since)}` : null;
  const order = [cursor, "Id"].filter((field): field is string => field !== null).map((field) => `${field} ASC`);
  return `SELECT ${shape.fields.join(", ")} FROM ${shape.object}${where ? ` WHERE ${where}` : ""} ORDER BY ${order.join(", ")}`;
}
