/**
 * Reading one sObject: describe it, send one SOQL query to /query (or /queryAll, whose result also holds deleted
 * rows), and follow `nextRecordsUrl` with the kit's declarative loop. Code beyond the loop exists for two API facts:
 * - a query locator expires after 15 idle minutes, so a chunk resumed later may find its `nextRecordsUrl` gone:
 *   the read then starts a new query right after the last record it delivered (the query's order is total);
 * - a record's `attributes` (type and URL) is envelope, not data, and deleted rows carry `_loader_deleted_at`.
 *
 * Checkpoint: the kit loop's `{next, done, cursor}` plus `after`, the (cursor, Id) of the last record delivered.
 */
import { z } from "zod";
import { checkpointParser, jsonValue } from "../kit/checkpoint";
import type { ConnectorContext, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { type HttpStream, type HttpStreamCheckpoint, readHttpStream, stateCursor } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import { createPaginator } from "../kit/paginators";
import { type CursorValue, cursorValue, DELETED_AT_FIELD, maxCursor } from "../kit/records";
import { cursorFieldOf, describeObject, hasField, type ObjectDescribe, selectableFields } from "./describe";
import { isExpiredQueryLocator } from "./errors";
import type { SalesforceSession } from "./session";
import { type QueryShape, type ResumePosition, soqlQuery } from "./soql";
import type { SalesforceConfig } from "./spec";

/** Records per batch: the documented maximum (and default) of the 200–2,000 range, asked for explicitly. */
export const QUERY_OPTIONS = "batchSize=2000";

interface ReadPlan {
  shape: QueryShape;
  /** `queryAll`: deleted rows come back with IsDeleted = true. */
  resource: "query" | "queryAll";
}

interface SalesforceCheckpoint extends HttpStreamCheckpoint {
  after: ResumePosition | null;
}

export async function* readObject(
  ctx: ConnectorContext,
  session: SalesforceSession,
  config: SalesforceConfig,
  request: ReadRequest,
): AsyncGenerator<Page> {
  const resumed = request.checkpoint ? parseCheckpoint(request.checkpoint) : null;
  if (resumed?.done) return;
  const plan = readPlan(await describeObject(session, request.stream.name), config, request);
  const loopCtx = { ...ctx, http: session.http };

  let checkpoint: SalesforceCheckpoint | null = resumed;
  // A resumed read first continues its checkpoint's query locator; any later attempt is a new query after `after`.
  let continueLocator = resumed !== null;
  for (;;) {
    const query = httpStream(session, plan, continueLocator ? null : (checkpoint?.after ?? null));
    let delivered = false;
    try {
      for await (const page of readHttpStream(loopCtx, query, { state: request.state, checkpoint: continueLocator ? checkpoint : null })) {
        const after = lastPosition(page.records, plan.shape.cursor) ?? checkpoint?.after ?? null;
        // A replacement query starts from an empty loop checkpoint; the greatest cursor seen so far carries over.
        const cursor = maxCursor(page.checkpoint.cursor as CursorValue | null, checkpoint?.cursor);
        checkpoint = { ...(page.checkpoint as HttpStreamCheckpoint), cursor, after };
        delivered = true;
        yield { records: page.records, checkpoint, ...(plan.shape.cursor ? { state: { cursor } } : {}) };
      }
      return;
    } catch (error) {
      // Only a locator can expire; a new query that fails before its first page fails for another reason.
      if (!isExpiredQueryLocator(error) || (!continueLocator && !delivered) || !checkpoint) throw error;
      continueLocator = false;
    }
  }
}

function readPlan(described: ObjectDescribe, config: SalesforceConfig, request: ReadRequest): ReadPlan {
  const { stream, sync_mode: syncMode } = request;
  const cursor = stream.cursor_field;
  if (cursor && !hasField(described, cursor)) {
    const present = cursorFieldOf(described);
    throw new ConnectorError(
      "configuration",
      `Salesforce object ${described.name} has no field ${cursor} to read incrementally${present ? ` (it has ${present})` : ""}`,
    );
  }
  const committed = syncMode === "incremental" ? stateCursor(request.state) : null;
  const deletes = syncMode === "incremental" && stream.reports_deletes === true && hasField(described, "IsDeleted");
  return {
    shape: {
      object: described.name,
      fields: selectableFields(described),
      cursor,
      since: committed === null ? (config.start_date ?? null) : String(committed),
      after: null,
    },
    // A full_refresh replaces the table, so deleted rows simply stay out of it (DESIGN §4).
    resource: deletes ? "queryAll" : "query",
  };
}

function httpStream(session: SalesforceSession, plan: ReadPlan, after: ResumePosition | null): HttpStream {
  return {
    request: {
      url: session.data(plan.resource),
      query: { q: soqlQuery({ ...plan.shape, after }) },
      // Kept on every page: the kit sends a nextRecordsUrl with the first request's headers.
      headers: { "sforce-query-options": QUERY_OPTIONS },
    },
    // `nextRecordsUrl` is a path on the instance; the next_url paginator resolves it against the page's URL.
    paginator: createPaginator({ type: "next_url", next_url_path: "nextRecordsUrl" }),
    recordsPath: "records",
    cursorField: plan.shape.cursor,
    mapRecord: (record) => toRecord(record, plan.shape.cursor),
  };
}

/**
 * Drops `attributes` (here and in nested parent records), keeps every field under its API name, and marks a row of
 * queryAll that is in the recycle bin: it was deleted when it was last stamped.
 */
export function toRecord(raw: SourceRecord, cursor: string | null): SourceRecord {
  const record = withoutAttributes(raw) as SourceRecord;
  if (record.IsDeleted === true) {
    const stamp = cursorValue(record, "SystemModstamp") ?? (cursor ? cursorValue(record, cursor) : undefined);
    const at = typeof stamp === "string" ? Date.parse(stamp.replace(/([+-]\d{2})(\d{2})$/, "$1:$2")) : Number.NaN;
    record[DELETED_AT_FIELD] = new Date(Number.isNaN(at) ? Date.now() : at).toISOString();
  }
  return record;
}

function withoutAttributes(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (key !== "attributes") out[key] = withoutAttributes(inner);
  return out;
}

function lastPosition(records: SourceRecord[], cursor: string | null): ResumePosition | null {
  const last = records.at(-1);
  if (!last || typeof last.Id !== "string") return null;
  const at = cursor ? cursorValue(last, cursor) : undefined;
  return { at: at === undefined ? null : String(at), id: last.Id };
}

const parseCheckpoint = checkpointParser(
  "Salesforce",
  z.object({
    next: jsonValue,
    done: z.boolean(),
    cursor: z.string().nullable(),
    after: z.object({ at: z.string().nullable(), id: z.string() }).nullable(),
  }),
);
