/**
 * A fake of the Google Sheets API v4 read surface (research/connectors-saas.md §7; reference:
 * https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/get, …/spreadsheets.values/get and
 * …/spreadsheets.values/batchGet):
 * - spreadsheets.get with `fields` masks, `ranges` and `includeGridData` (grid data with effectiveFormat.numberFormat,
 *   so a reader can tell date columns), sheet properties with the grid size, merges;
 * - values.get and values:batchGet with A1 ranges (quoted tab names, open-ended ranges, whole rows), ragged rows with
 *   trailing empty cells and trailing empty rows left out, no `values` key for an empty range, `valueRenderOption`
 *   (FORMATTED_VALUE default, UNFORMATTED_VALUE, FORMULA) and `dateTimeRenderOption` (SERIAL_NUMBER default,
 *   FORMATTED_STRING), a range beyond the grid refused with Google's "exceeds grid limits";
 * - per-user per-minute read quota (60 by default, refilled each minute) answered with Google's 429
 *   RESOURCE_EXHAUSTED body, injectable quota faults, 403 for a spreadsheet not shared with the caller, 404.
 * A tab may be generated (`generate: {rows}`) so a 100,000-row tab costs nothing to set up.
 */
import { applyFieldMask, maskReaches, parseFieldMask } from "../google-oauth/field-mask";
import type { Principal } from "../google-oauth/issuer";

/** A cell as a test gives it: plain JSON values, or a date / date-time as a serial number with its format. */
export type Cell = number | string | boolean | null | { date: number } | { datetime: number };

export interface GridRange {
  startRowIndex: number;
  endRowIndex: number;
  startColumnIndex: number;
  endColumnIndex: number;
}

export interface SheetInput {
  title: string;
  rows?: Cell[][];
  /** Row 1 and `rows` generated rows: id, name, amount, day (a date). */
  generate?: { rows: number };
  merges?: GridRange[];
  rowCount?: number;
  columnCount?: number;
}

export interface SpreadsheetInput {
  title?: string;
  /** Principal ids (service-account emails, OAuth users) the spreadsheet is shared with. */
  shared_with: string[];
  sheets: SheetInput[];
}

interface Sheet {
  sheetId: number;
  title: string;
  index: number;
  rowCount: number;
  columnCount: number;
  rows: Cell[][];
  generate?: { rows: number };
  merges: GridRange[];
}

export interface LoggedSheetsRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  principal: string | null;
  status: number;
}

interface Spreadsheet {
  id: string;
  title: string;
  sharedWith: Set<string>;
  sheets: Sheet[];
  faults: { quota: number; unavailable: number };
  log: LoggedSheetsRequest[];
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly googleStatus: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
  body() {
    return { error: { code: this.status, message: this.message, status: this.googleStatus, ...(this.details.length ? { details: this.details } : {}) } };
  }
}

const GENERATED_HEADER = ["id", "name", "amount", "day"];

export function generatedCell(row: number, column: number): Cell {
  // `row` is the 0-based grid row; row 0 is the header.
  if (row === 0) return GENERATED_HEADER[column] ?? null;
  switch (column) {
    case 0:
      return row;
    case 1:
      return `name ${row}`;
    case 2:
      return row * 0.25;
    case 3:
      return { date: 45000 + (row % 365) };
    default:
      return null;
  }
}

export function columnLetters(index: number): string {
  let out = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
  return out;
}

function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export function quotedTitle(title: string): string {
  return /^[A-Za-z0-9_]+$/.test(title) ? title : `'${title.replaceAll("'", "''")}'`;
}

interface ParsedRange {
  sheet: Sheet;
  /** 0-based, end exclusive, clamped to nothing yet. */
  startRow: number;
  endRow: number;
  startColumn: number;
  endColumn: number;
}

function parseRange(book: Spreadsheet, text: string): ParsedRange {
  let sheetName: string | undefined;
  let cells = text;
  const quoted = /^'((?:[^']|'')*)'(?:!(.*))?$/.exec(text);
  if (quoted) {
    sheetName = quoted[1]!.replaceAll("''", "'");
    cells = quoted[2] ?? "";
  } else if (text.includes("!")) {
    const at = text.lastIndexOf("!");
    sheetName = text.slice(0, at);
    cells = text.slice(at + 1);
  } else if (book.sheets.some((s) => s.title === text)) {
    sheetName = text;
    cells = "";
  }
  const sheet = sheetName === undefined ? book.sheets[0] : book.sheets.find((s) => s.title === sheetName);
  if (!sheet) throw new ApiFailure(400, "INVALID_ARGUMENT", `Unable to parse range: ${text}`);
  if (!cells) return { sheet, startRow: 0, endRow: sheet.rowCount, startColumn: 0, endColumn: sheet.columnCount };
  const parts = cells.split(":");
  const ref = (part: string) => {
    const match = /^([A-Za-z]*)(\d*)$/.exec(part);
    if (!match || (!match[1] && !match[2])) throw new ApiFailure(400, "INVALID_ARGUMENT", `Unable to parse range: ${text}`);
    return { column: match[1] ? columnIndex(match[1]) : undefined, row: match[2] ? Number(match[2]) - 1 : undefined };
  };
  const a = ref(parts[0]!);
  const b = parts[1] !== undefined ? ref(parts[1]) : a;
  const range = {
    sheet,
    startRow: a.row ?? 0,
    endRow: b.row !== undefined ? b.row + 1 : sheet.rowCount,
    startColumn: a.column ?? 0,
    endColumn: b.column !== undefined ? b.column + 1 : sheet.columnCount,
  };
  if (range.endRow > sheet.rowCount || range.endColumn > sheet.columnCount) {
    throw new ApiFailure(400, "INVALID_ARGUMENT", `Range (${quotedTitle(sheet.title)}!${cells}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`);
  }
  return range;
}

function a1(range: ParsedRange): string {
  return `${quotedTitle(range.sheet.title)}!${columnLetters(range.startColumn)}${range.startRow + 1}:${columnLetters(range.endColumn - 1)}${range.endRow}`;
}

function cellAt(sheet: Sheet, row: number, column: number): Cell {
  if (sheet.generate) return row <= sheet.generate.rows ? generatedCell(row, column) : null;
  return sheet.rows[row]?.[column] ?? null;
}

/** Row data exists up to here (0-based, exclusive): nothing is computed past it. */
function dataRows(sheet: Sheet): number {
  return sheet.generate ? sheet.generate.rows + 1 : sheet.rows.length;
}

const isEmpty = (cell: Cell) => cell === null || cell === "";

/** Serial day 0 is 1899-12-30 (Google Sheets and Lotus/Excel's epoch, without the 1900 leap-year bug). */
function formatSerial(serial: number, withTime: boolean): string {
  const ms = Math.round((serial - 25569) * 86_400_000);
  const d = new Date(ms);
  const date = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
  if (!withTime) return date;
  return `${date} ${d.getUTCHours()}:${String(d.getUTCMinutes()).padStart(2, "0")}:${String(d.getUTCSeconds()).padStart(2, "0")}`;
}

function render(cell: Cell, valueRender: string, dateRender: string): unknown {
  if (cell !== null && typeof cell === "object") {
    const serial = "date" in cell ? cell.date : cell.datetime;
    const formatted = formatSerial(serial, "datetime" in cell);
    if (valueRender === "FORMATTED_VALUE" || dateRender === "FORMATTED_STRING") return formatted;
    return serial;
  }
  if (valueRender === "FORMATTED_VALUE") {
    if (typeof cell === "boolean") return cell ? "TRUE" : "FALSE";
    if (typeof cell === "number") return String(cell);
  }
  return cell;
}

function valuesOf(range: ParsedRange, valueRender: string, dateRender: string): unknown[][] {
  const rows: unknown[][] = [];
  const last = Math.min(range.endRow, dataRows(range.sheet));
  for (let r = range.startRow; r < last; r++) {
    const row: unknown[] = [];
    let width = 0;
    for (let c = range.startColumn; c < range.endColumn; c++) {
      const cell = cellAt(range.sheet, r, c);
      row.push(isEmpty(cell) ? "" : render(cell, valueRender, dateRender));
      if (!isEmpty(cell)) width = row.length;
    }
    rows.push(row.slice(0, width));
  }
  while (rows.length > 0 && rows[rows.length - 1]!.length === 0) rows.pop();
  return rows;
}

function valueRange(range: ParsedRange, query: URLSearchParams) {
  const valueRender = query.get("valueRenderOption") ?? "FORMATTED_VALUE";
  const dateRender = query.get("dateTimeRenderOption") ?? "SERIAL_NUMBER";
  if (!["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"].includes(valueRender)) {
    throw new ApiFailure(400, "INVALID_ARGUMENT", `Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), "${valueRender}"`);
  }
  const major = query.get("majorDimension") ?? "ROWS";
  const values = valuesOf(range, valueRender, dateRender);
  return { range: a1(range), majorDimension: major, ...(values.length ? { values } : {}) };
}

function extendedValue(cell: Cell) {
  if (cell !== null && typeof cell === "object") return { numberValue: "date" in cell ? cell.date : cell.datetime };
  if (typeof cell === "number") return { numberValue: cell };
  if (typeof cell === "boolean") return { boolValue: cell };
  return { stringValue: cell };
}

function cellData(cell: Cell) {
  if (isEmpty(cell)) return {};
  const format =
    cell !== null && typeof cell === "object"
      ? { numberFormat: "date" in cell ? { type: "DATE", pattern: "yyyy-mm-dd" } : { type: "DATE_TIME", pattern: "yyyy-mm-dd hh:mm:ss" } }
      : {};
  return { userEnteredValue: extendedValue(cell), effectiveValue: extendedValue(cell), formattedValue: String(render(cell, "FORMATTED_VALUE", "SERIAL_NUMBER")), effectiveFormat: format };
}

function gridData(range: ParsedRange) {
  const rowData = [];
  const last = Math.min(range.endRow, dataRows(range.sheet));
  for (let r = range.startRow; r < last; r++) {
    const values = [];
    for (let c = range.startColumn; c < range.endColumn; c++) values.push(cellData(cellAt(range.sheet, r, c)));
    rowData.push({ values });
  }
  return { startRow: range.startRow, startColumn: range.startColumn, rowData };
}

function spreadsheetResource(book: Spreadsheet, query: URLSearchParams) {
  const fields = query.get("fields");
  const mask = fields ? parseFieldMask(fields) : undefined;
  // includeGridData is ignored when a field mask is set: the mask decides (the reference says so).
  const withGrid = mask ? maskReaches(mask, ["sheets", "data"]) : query.get("includeGridData") === "true";
  const ranges = query.getAll("ranges").map((text) => parseRange(book, text));
  const resource = {
    spreadsheetId: book.id,
    properties: { title: book.title, locale: "en_US", autoRecalc: "ON_CHANGE", timeZone: "Etc/GMT" },
    sheets: book.sheets
      .filter((sheet) => ranges.length === 0 || ranges.some((r) => r.sheet === sheet))
      .map((sheet) => ({
        properties: { sheetId: sheet.sheetId, title: sheet.title, index: sheet.index, sheetType: "GRID", gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount } },
        ...(sheet.merges.length ? { merges: sheet.merges.map((m) => ({ sheetId: sheet.sheetId, ...m })) } : {}),
        ...(withGrid
          ? {
              data: (ranges.length ? ranges.filter((r) => r.sheet === sheet) : [{ sheet, startRow: 0, endRow: sheet.rowCount, startColumn: 0, endColumn: sheet.columnCount }]).map(gridData),
            }
          : {}),
      })),
    spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${book.id}/edit`,
  };
  return mask ? applyFieldMask(resource, mask) : resource;
}

const QUOTA_BODY = (principal: string, limit: number) =>
  new ApiFailure(
    429,
    "RESOURCE_EXHAUSTED",
    "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "RATE_LIMIT_EXCEEDED",
        domain: "googleapis.com",
        metadata: { quota_metric: "sheets.googleapis.com/read_requests", quota_limit: "ReadRequestsPerMinutePerUser", quota_limit_value: String(limit), service: "sheets.googleapis.com", consumer: `user:${principal}` },
      },
    ],
  );

export class SheetsFake {
  private readonly books = new Map<string, Spreadsheet>();
  /** Read requests per minute per user (ReadRequestsPerMinutePerUser), by principal id; default 60. */
  private readonly limits = new Map<string, number>();
  private readonly windows = new Map<string, { minute: number; used: number }>();

  put(id: string, input: SpreadsheetInput): void {
    const sheets = input.sheets.map((s, index): Sheet => {
      const rows = s.rows ?? [];
      const width = s.generate ? GENERATED_HEADER.length : Math.max(0, ...rows.map((r) => r.length));
      return {
        sheetId: index === 0 ? 0 : 1000 + index,
        title: s.title,
        index,
        rowCount: s.rowCount ?? Math.max(1000, s.generate ? s.generate.rows + 1 : rows.length),
        columnCount: s.columnCount ?? Math.max(26, width),
        rows,
        ...(s.generate ? { generate: s.generate } : {}),
        merges: s.merges ?? [],
      };
    });
    const existing = this.books.get(id);
    this.books.set(id, { id, title: input.title ?? id, sharedWith: new Set(input.shared_with), sheets, faults: existing?.faults ?? { quota: 0, unavailable: 0 }, log: existing?.log ?? [] });
  }

  /** Edits cells of a tab in place (1-based row numbers as a user sees them). */
  edit(id: string, title: string, edits: Array<{ row: number; values: Cell[] }>): void {
    const sheet = this.book(id).sheets.find((s) => s.title === title);
    if (!sheet) throw new Error(`no tab ${title}`);
    for (const edit of edits) sheet.rows[edit.row - 1] = edit.values;
  }

  faults(id: string, faults: Partial<Spreadsheet["faults"]>): void {
    Object.assign(this.book(id).faults, faults);
  }

  setQuota(principal: string, perMinute: number): void {
    this.limits.set(principal, perMinute);
    this.windows.delete(principal);
  }

  requests(id: string): LoggedSheetsRequest[] {
    return this.book(id).log;
  }

  private book(id: string): Spreadsheet {
    const book = this.books.get(id);
    if (!book) throw new Error(`no spreadsheet ${id}`);
    return book;
  }

  /** Answers GET /v4/spreadsheets/... for `principal` (undefined: no valid token, already refused by the server). */
  handle(path: string, query: URLSearchParams, principal: Principal, nowMs = Date.now()): unknown {
    const match = /^\/v4\/spreadsheets\/([^/:]+)(?:(\/values:batchGet)|\/values\/(.+))?$/.exec(path);
    if (!match) throw new ApiFailure(404, "NOT_FOUND", "Requested entity was not found.");
    const book = this.books.get(match[1]!);
    const entry: LoggedSheetsRequest = { method: "GET", path, query: Object.fromEntries([...new Set(query.keys())].map((k) => [k, query.getAll(k).length > 1 ? query.getAll(k) : (query.get(k) ?? "")])), principal: principal.id, status: 200 };
    book?.log.push(entry);
    try {
      this.spendQuota(principal.id, nowMs);
      if (!book) throw new ApiFailure(404, "NOT_FOUND", "Requested entity was not found.");
      if (book.faults.quota > 0) {
        book.faults.quota--;
        throw QUOTA_BODY(principal.id, this.limits.get(principal.id) ?? 60);
      }
      if (book.faults.unavailable > 0) {
        book.faults.unavailable--;
        throw new ApiFailure(503, "UNAVAILABLE", "The service is currently unavailable.");
      }
      if (!principal.scopes.some((s) => /\/auth\/(spreadsheets|drive)(\.readonly)?$/.test(s))) {
        throw new ApiFailure(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com" },
        ]);
      }
      if (!book.sharedWith.has(principal.id)) throw new ApiFailure(403, "PERMISSION_DENIED", "The caller does not have permission");
      if (match[2]) {
        const ranges = query.getAll("ranges");
        if (ranges.length === 0) throw new ApiFailure(400, "INVALID_ARGUMENT", "Must specify at least one range.");
        return { spreadsheetId: book.id, valueRanges: ranges.map((text) => valueRange(parseRange(book, text), query)) };
      }
      if (match[3]) return valueRange(parseRange(book, decodeURIComponent(match[3])), query);
      return spreadsheetResource(book, query);
    } catch (error) {
      if (error instanceof ApiFailure) entry.status = error.status;
      throw error;
    }
  }

  private spendQuota(principal: string, nowMs: number): void {
    const limit = this.limits.get(principal) ?? 60;
    const minute = Math.floor(nowMs / 60_000);
    const window = this.windows.get(principal);
    const current = window && window.minute === minute ? window : { minute, used: 0 };
    this.windows.set(principal, current);
    if (current.used >= limit) throw QUOTA_BODY(principal, limit);
    current.used++;
  }
}
