/**
 * How a tab is read (research/connectors-saas.md §7):
 * 1. spreadsheets.get with a field mask: every tab's title, type, grid size and merges (discovery and the read's
 *    bounds: a range past the grid is refused, so the read stops at `rowCount`);
 * 2. spreadsheets.get of row 1 and the first SAMPLE_ROWS data rows with their effective number formats: the header
 *    (row 1's values) and which columns hold dates (values alone cannot tell a date's serial number from a number);
 * 3. values:batchGet of `row_batch_size` rows at a time (A{n}:{last column}{n+size-1}) with UNFORMATTED_VALUE and
 *    serial-number dates, so numbers arrive as numbers, text as text (a "00123" typed as text stays text), and a
 *    100,000-row tab is many requests, each a page with the next row in its checkpoint.
 * Google leaves trailing empty rows and cells out of an answer; blank rows inside the data carry nothing and are
 * left out too (the row numbers of the others do not change).
 */
import type { ConnectorContext, JsonObject, Page, ReadRequest, SourceRecord, StreamSpec } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { columnLetters, columnNames, type DateKind, ROW_NUMBER, rowRecord } from "./columns";
import { type GoogleSheetsConfig, spreadsheetIdOf } from "./spec";

/** Data rows whose formats decide which columns are dates. */
const SAMPLE_ROWS = 100;

export interface Tab {
  sheetId: number;
  title: string;
  sheetType: string;
  rowCount: number;
  columnCount: number;
  merges: Array<{ startRowIndex?: number; endRowIndex?: number; startColumnIndex?: number; endColumnIndex?: number }>;
}

interface SpreadsheetProperties {
  sheets?: Array<{
    properties?: { sheetId?: number; title?: string; sheetType?: string; gridProperties?: { rowCount?: number; columnCount?: number } };
    merges?: Tab["merges"];
  }>;
}

/** A1 notation's sheet part: quoted, with quotes doubled, so titles with spaces, `!` or quotes are unambiguous. */
export function quoted(title: string): string {
  return `'${title.replaceAll("'", "''")}'`;
}

export async function listTabs(http: HttpClient, config: GoogleSheetsConfig): Promise<Tab[]> {
  const id = spreadsheetIdOf(config.spreadsheet_id);
  const body = await http.getJson<SpreadsheetProperties>({
    url: `/spreadsheets/${encodeURIComponent(id)}`,
    query: { fields: "sheets(properties(sheetId,title,sheetType,gridProperties(rowCount,columnCount)),merges)" },
  });
  const tabs = (body.sheets ?? []).map((sheet) => ({
    sheetId: sheet.properties?.sheetId ?? 0,
    title: sheet.properties?.title ?? "",
    sheetType: sheet.properties?.sheetType ?? "GRID",
    rowCount: sheet.properties?.gridProperties?.rowCount ?? 0,
    columnCount: sheet.properties?.gridProperties?.columnCount ?? 0,
    merges: sheet.merges ?? [],
  }));
  // Chart sheets (OBJECT) and data-source sheets have no cells to read.
  const grids = tabs.filter((tab) => tab.sheetType === "GRID");
  if (!config.tabs) return grids;
  const missing = config.tabs.filter((title) => !grids.some((tab) => tab.title === title));
  if (missing.length) {
    throw new ConnectorError("configuration", `the spreadsheet has no grid tab named ${missing.map((t) => `"${t}"`).join(", ")}; its tabs are ${grids.map((t) => `"${t.title}"`).join(", ")}`);
  }
  return grids.filter((tab) => config.tabs!.includes(tab.title));
}

export function tabStream(tab: Tab, config: GoogleSheetsConfig): StreamSpec {
  return { name: tab.title, primary_key: config.key_columns?.[tab.title] ?? [ROW_NUMBER], cursor_field: null, supported_sync_modes: ["full_refresh"] };
}

interface GridSample {
  sheets?: Array<{ data?: Array<{ rowData?: Array<{ values?: Array<{ effectiveValue?: Record<string, unknown>; effectiveFormat?: { numberFormat?: { type?: string } } }> }> }> }>;
}

interface Layout {
  names: string[];
  dates: Map<number, DateKind>;
}

/** The header's names and the date columns, from row 1 and the sample rows below it. */
async function layoutOf(http: HttpClient, id: string, tab: Tab): Promise<Layout> {
  const lastColumn = columnLetters(Math.max(tab.columnCount, 1) - 1);
  const lastRow = Math.min(tab.rowCount, 1 + SAMPLE_ROWS);
  const body = await http.getJson<GridSample>({
    url: `/spreadsheets/${encodeURIComponent(id)}`,
    query: { ranges: `${quoted(tab.title)}!A1:${lastColumn}${lastRow}`, fields: "sheets(data(rowData(values(effectiveValue,effectiveFormat(numberFormat(type))))))" },
  });
  const rows = body.sheets?.[0]?.data?.[0]?.rowData ?? [];
  const header = (rows[0]?.values ?? []).map((cell) => {
    const value = cell.effectiveValue;
    return value ? (value.stringValue ?? value.numberValue ?? value.boolValue ?? null) : null;
  });
  const headerMerges = tab.merges
    .filter((m) => (m.startRowIndex ?? 0) === 0)
    .map((m) => ({ startColumnIndex: m.startColumnIndex ?? 0, endColumnIndex: m.endColumnIndex ?? 0 }));
  let width = 0;
  header.forEach((value, c) => {
    if (value !== null && value !== "") width = c + 1;
  });
  for (const m of headerMerges) width = Math.max(width, m.endColumnIndex);
  const dates = new Map<number, DateKind>();
  for (const row of rows.slice(1)) {
    (row.values ?? []).forEach((cell, c) => {
      const type = cell.effectiveFormat?.numberFormat?.type;
      if ((type === "DATE" || type === "DATE_TIME" || type === "TIME") && !dates.has(c)) dates.set(c, type);
      if (cell.effectiveValue) width = Math.max(width, c + 1);
    });
  }
  return { names: columnNames(header, headerMerges, width), dates };
}

function nextRowOf(checkpoint: JsonObject | null): number {
  const next = checkpoint?.next_row;
  if (checkpoint === null) return 2;
  if (typeof next !== "number" || !Number.isInteger(next) || next < 2) throw new ConnectorError("data", `google_sheets checkpoint is not one this reader wrote: ${JSON.stringify(checkpoint)}`);
  return next;
}

export async function* readTab(ctx: ConnectorContext, http: HttpClient, config: GoogleSheetsConfig, request: ReadRequest): AsyncGenerator<Page> {
  const id = spreadsheetIdOf(config.spreadsheet_id);
  const tabs = await listTabs(http, { ...config, tabs: undefined });
  const tab = tabs.find((t) => t.title === request.stream.name);
  if (!tab) throw new ConnectorError("configuration", `the spreadsheet has no tab "${request.stream.name}" any more (tabs: ${tabs.map((t) => `"${t.title}"`).join(", ")}); select its new name`);
  let row = nextRowOf(request.checkpoint);
  if (row > tab.rowCount) return;
  const layout = await layoutOf(http, id, tab);
  const keys = request.stream.primary_key.filter((k) => k !== ROW_NUMBER);
  const unknown = keys.filter((k) => !layout.names.includes(k));
  if (unknown.length) {
    throw new ConnectorError("configuration", `key_columns of tab "${tab.title}" name ${unknown.map((k) => `"${k}"`).join(", ")}, which its header row does not have (columns: ${layout.names.join(", ")})`);
  }
  const lastColumn = columnLetters(Math.max(tab.columnCount, layout.names.length, 1) - 1);
  while (row <= tab.rowCount) {
    if (ctx.signal.aborted) return;
    const last = Math.min(tab.rowCount, row + config.row_batch_size - 1);
    const body = await http.getJson<{ valueRanges?: Array<{ values?: unknown[][] }> }>({
      url: `/spreadsheets/${encodeURIComponent(id)}/values:batchGet`,
      query: {
        ranges: `${quoted(tab.title)}!A${row}:${lastColumn}${last}`,
        valueRenderOption: "UNFORMATTED_VALUE",
        dateTimeRenderOption: "SERIAL_NUMBER",
        majorDimension: "ROWS",
      },
    });
    const values = body.valueRanges?.[0]?.values ?? [];
    const records: SourceRecord[] = [];
    let skippedRows = 0;
    values.forEach((cells, offset) => {
      const record = rowRecord(row + offset, cells, layout.names, layout.dates);
      if (!record) return;
      // A row without a value in a key column cannot be merged by key: it is counted as skipped, never dropped silently.
      if (keys.some((k) => record[k] === null || record[k] === undefined)) skippedRows++;
      else records.push(record);
    });
    row = last + 1;
    // An empty or short answer is no end: data can follow blank rows anywhere in the grid, so the walk goes on to rowCount.
    yield { records, checkpoint: { next_row: row }, ...(skippedRows ? { skippedRows } : {}) };
  }
}
