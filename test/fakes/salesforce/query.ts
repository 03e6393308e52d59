/**
 * `GET /query?q=` and `/queryAll?q=`, and the `nextRecordsUrl` pages that follow. The whole result is computed
 * once and kept behind a query locator (`01g…`), like the real server-side cursor: pages are stable while data
 * changes underneath, and `nextRecordsUrl` is `/services/data/vXX.X/query/<locator>-<offset>`.
 */
import { type FakeResponse, apiError, ok } from "./http";
import { salesforceId } from "./ids";
import { executeSoql } from "./soql/execute";
import { SoqlError, renderSoqlError } from "./soql/errors";
import { type Cursor, MAX_CURSORS, type Tenant } from "./tenants";

/** Batch size bounds from the Sforce-Query-Options documentation: default 2,000, minimum 200, maximum 2,000. */
const DEFAULT_BATCH = 2000;
const MIN_BATCH = 200;
const MAX_BATCH = 2000;

/** `Sforce-Query-Options: batchSize=N` is advisory; out-of-range values are clamped, unreadable ones ignored. */
function requestedBatchSize(headers: Record<string, string>): number | undefined {
  const match = /(?:^|[,;\s])batchSize\s*=\s*(\d+)/i.exec(headers["sforce-query-options"] ?? "");
  if (!match) return undefined;
  return Math.min(MAX_BATCH, Math.max(MIN_BATCH, Number(match[1])));
}

function page(version: string, locator: string, cursor: Cursor, offset: number, batchSize: number) {
  const end = Math.min(cursor.records.length, offset + batchSize);
  const done = end >= cursor.records.length;
  return {
    totalSize: cursor.records.length,
    done,
    ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${locator}-${end}` }),
    records: cursor.records.slice(offset, end),
  };
}

function openCursor(tenant: Tenant, cursor: Cursor): string {
  tenant.cursorSerial += 1;
  const locator = salesforceId("01g", tenant.cursorSerial);
  tenant.cursors.set(locator, cursor);
  if (tenant.cursors.size > MAX_CURSORS) {
    const oldest = tenant.cursors.keys().next().value;
    if (oldest !== undefined) tenant.cursors.delete(oldest);
  }
  return locator;
}

export function runQuery(tenant: Tenant, version: string, soql: string | null, includeDeleted: boolean, headers: Record<string, string>): FakeResponse {
  if (soql === null || soql.trim() === "") return apiError(400, "MALFORMED_QUERY", "A query string has to be specified");
  let result;
  try {
    result = executeSoql(soql, tenant.dataset, { includeDeleted, apiVersion: version });
  } catch (error) {
    if (error instanceof SoqlError) return apiError(400, error.code, renderSoqlError(soql, error));
    throw error;
  }
  if (result.countOnly) return ok({ totalSize: result.totalSize, done: true, records: [] });
  const batchSize = requestedBatchSize(headers) ?? DEFAULT_BATCH;
  const cursor: Cursor = { records: result.records, batchSize };
  if (cursor.records.length <= batchSize) return ok(page(version, "", cursor, 0, batchSize));
  return ok(page(version, openCursor(tenant, cursor), cursor, 0, batchSize));
}

export function queryMore(tenant: Tenant, version: string, locatorAndOffset: string, headers: Record<string, string>): FakeResponse {
  const match = /^(01g[0-9A-Za-z]{15})-(\d+)$/.exec(locatorAndOffset);
  const cursor = match?.[1] ? tenant.cursors.get(match[1]) : undefined;
  if (!match?.[1] || !cursor) return apiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
  const offset = Number(match[2]);
  return ok(page(version, match[1], cursor, offset, requestedBatchSize(headers) ?? cursor.batchSize));
}
