/**
 * A tab's columns and values (research/connectors-saas.md §7): row 1 names the columns; types are not declared, so a
 * value keeps the JSON type UNFORMATTED_VALUE gives it (number, text, boolean), except in columns the sheet formats
 * as dates, whose serial numbers become ISO dates.
 */

/** The row number a record is keyed by when the config names no key columns. */
export const ROW_NUMBER = "_row_number";

/** A0 of the serial-number epoch: day 0 is 1899-12-30 (https://developers.google.com/sheets/api/guides/formats#about_date_time_values). */
const SERIAL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

export type DateKind = "DATE" | "DATE_TIME" | "TIME";

export interface HeaderMerge {
  startColumnIndex: number;
  endColumnIndex: number;
}

export function columnLetters(index: number): string {
  let out = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
  return out;
}

/**
 * Column names from the header row, unique and deterministic (the same sheet always gives the same names):
 * - a header cell covered by a merge takes the merge's name with its position in it (`Q1`, `Q1_2`, `Q1_3`), since
 *   Google puts a merged cell's value in its first cell only;
 * - any other blank header is `column_<letter>` (`column_D`);
 * - a repeated name gets `_2`, `_3`, … in column order, skipping names already taken; `_row_number` is reserved.
 */
export function columnNames(header: readonly unknown[], merges: readonly HeaderMerge[], width: number): string[] {
  const raw = Array.from({ length: width }, (_, c) => headerText(header[c]));
  const named = raw.map((text, c) => {
    if (text) return text;
    const merge = merges.find((m) => m.startColumnIndex < c && c < m.endColumnIndex);
    const first = merge ? raw[merge.startColumnIndex] : undefined;
    return merge && first ? `${first}_${c - merge.startColumnIndex + 1}` : `column_${columnLetters(c)}`;
  });
  const taken = new Set<string>([ROW_NUMBER]);
  const seen = new Map<string, number>();
  return named.map((name) => {
    let candidate = name;
    let n = seen.get(name) ?? 1;
    while (taken.has(candidate)) candidate = `${name}_${++n}`;
    seen.set(name, n);
    taken.add(candidate);
    return candidate;
  });
}

function headerText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return String(value).replace(/\s+/g, " ").trim();
}

/** A serial number as the ISO text of its kind; Sheets date-times carry no zone (they are the spreadsheet's local time). */
export function serialToIso(serial: number, kind: DateKind): string {
  const ms = Math.round((serial - (kind === "TIME" ? Math.floor(serial) : 0)) * DAY_MS);
  const iso = new Date(SERIAL_EPOCH_MS + ms).toISOString();
  if (kind === "DATE") return iso.slice(0, 10);
  if (kind === "TIME") return iso.slice(11, 19);
  return iso.slice(0, 19);
}

/** A row's record: `_row_number` and every non-empty cell under its column name; null for a blank row. */
export function rowRecord(rowNumber: number, cells: readonly unknown[], names: string[], dates: ReadonlyMap<number, DateKind>): Record<string, unknown> | null {
  const record: Record<string, unknown> = { [ROW_NUMBER]: rowNumber };
  let filled = false;
  for (let c = 0; c < Math.max(cells.length, names.length); c++) {
    const name = names[c] ?? extraName(names, c);
    const value = cells[c];
    if (value === undefined || value === null || value === "") {
      record[name] = null;
      continue;
    }
    filled = true;
    const kind = dates.get(c);
    record[name] = kind && typeof value === "number" ? serialToIso(value, kind) : value;
  }
  return filled ? record : null;
}

/** A cell right of every header (the grid grew after the header was read): named as a blank header would be. */
function extraName(names: string[], c: number): string {
  let name = `column_${columnLetters(c)}`;
  while (names.includes(name)) name = `${name}_2`;
  names[c] = name;
  return name;
}
