/**
 * google_sheets against the Google fake: discovery, the header rules (merged, blank and repeated headers), values as
 * Sheets types them (numbers, text that looks like numbers, booleans, dates and date-times from serial numbers),
 * blank and trailing rows, ranges of row_batch_size rows with the next row in each checkpoint, key columns, the
 * per-minute read quota through the shared budget, and Google's refusals as configuration errors that say what to fix.
 */
import { describe, expect, it } from "vitest";
import { googleSheetsConnector } from "../../../connectors/google_sheets";
import type { BucketReport, SharedBudget, TokenBucket } from "../../../connectors/kit/contract";
import { context, google, readAll, records, serviceAccount, sheetsConfig, spreadsheet, tabRequest } from "./harness";

const ORDERS = [
  // Row 1: "Amount" merged over B1:C1 (Google keeps the value in B1 only), a blank header in E1, "Note" twice.
  ["Order ID", "Amount", "", "Placed", "", "Note", "Note", "Paid"],
  ["A-1", 10.5, 3, { date: 45292 }, "x", "first", "", true],
  [],
  ["A-2", 7, 1, { date: 45293 }, "", "00123", "second", false],
  ["", "", "", "", "", "", "", ""],
  ["A-3", "12", 2, "not a date", "", "", "", true],
];

describe("google_sheets reader", () => {
  it("discovers every grid tab as a stream keyed by its row number, or by the config's key columns", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [{ title: "Orders", rows: ORDERS }, { title: "Team roster", rows: [["Name"], ["Ada"]] }]);
    const { ctx } = context();
    const config = sheetsConfig(book.id, { service_account_json: sa.json }, { key_columns: { Orders: ["Order ID"] } });
    const streams = await googleSheetsConnector.discover(ctx, config);
    expect(streams).toEqual([
      { name: "Orders", primary_key: ["Order ID"], cursor_field: null, supported_sync_modes: ["full_refresh"] },
      { name: "Team roster", primary_key: ["_row_number"], cursor_field: null, supported_sync_modes: ["full_refresh"] },
    ]);
    const only = await googleSheetsConnector.discover(ctx, { ...config, tabs: ["Team roster"] });
    expect(only.map((s) => s.name)).toEqual(["Team roster"]);
    await expect(googleSheetsConnector.discover(ctx, { ...config, tabs: ["Missing"] })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining('no grid tab named "Missing"') });
    const [first] = await book.requests();
    expect(first).toMatchObject({ path: `/v4/spreadsheets/${book.id}`, query: { fields: "sheets(properties(sheetId,title,sheetType,gridProperties(rowCount,columnCount)),merges)" }, principal: sa.email });
  });

  it("names columns from the header row deterministically and keeps Sheets' own value types", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [
      { title: "Orders", rows: ORDERS, merges: [{ startRowIndex: 0, endRowIndex: 1, startColumnIndex: 1, endColumnIndex: 3 }] },
    ]);
    const { ctx } = context();
    const pages = await readAll(ctx, sheetsConfig(book.id, { service_account_json: sa.json }), tabRequest("Orders"));
    const base = { "Amount": null, "Amount_2": null, "Placed": null, "column_E": null, "Note": null, "Note_2": null, "Paid": null };
    expect(records(pages)).toEqual([
      { ...base, _row_number: 2, "Order ID": "A-1", Amount: 10.5, Amount_2: 3, Placed: "2024-01-01", column_E: "x", Note: "first", Paid: true },
      { ...base, _row_number: 4, "Order ID": "A-2", Amount: 7, Amount_2: 1, Placed: "2024-01-02", Note: "00123", Note_2: "second", Paid: false },
      // Text in a number column stays text, and text in a date column is not a date: the warehouse widens the column.
      { ...base, _row_number: 6, "Order ID": "A-3", Amount: "12", Amount_2: 2, Placed: "not a date", Paid: true },
    ]);
    // Properties and merges, then row 1 and the sample rows with their number formats, then the data range.
    const sent = await book.requests();
    expect(sent.map((r) => r.path)).toEqual([`/v4/spreadsheets/${book.id}`, `/v4/spreadsheets/${book.id}`, `/v4/spreadsheets/${book.id}/values:batchGet`]);
    expect(sent[1]!.query).toEqual({ ranges: "'Orders'!A1:Z101", fields: "sheets(data(rowData(values(effectiveValue,effectiveFormat(numberFormat(type))))))" });
    expect(sent[2]!.query).toEqual({ ranges: "'Orders'!A2:Z1000", valueRenderOption: "UNFORMATTED_VALUE", dateTimeRenderOption: "SERIAL_NUMBER", majorDimension: "ROWS" });
    expect(pages.map((p) => p.checkpoint)).toEqual([{ next_row: 1001 }]);
  });

  it("turns date-time and time serials into ISO text, and quotes tab titles with spaces and apostrophes", async () => {
    const sa = await serviceAccount();
    const title = "Bob's log 2024";
    const book = await spreadsheet([sa.email], [{ title, rows: [["At", "Count"], [{ datetime: 45292.75 }, 1], [{ datetime: 45293.5 }, 2]], rowCount: 3, columnCount: 2 }]);
    const { ctx } = context();
    const rows = records(await readAll(ctx, sheetsConfig(book.id, { service_account_json: sa.json }), tabRequest(title)));
    expect(rows).toEqual([
      { _row_number: 2, At: "2024-01-01T18:00:00", Count: 1 },
      { _row_number: 3, At: "2024-01-02T12:00:00", Count: 2 },
    ]);
    expect((await book.requests())[2]!.query.ranges).toBe("'Bob''s log 2024'!A2:B3");
  });

  it("reads a 100,000-row tab in ranges of row_batch_size rows, each a page that resumes after it", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [{ title: "Big", generate: { rows: 100_000 } }]);
    // Google's per-minute read quota would stop this read at 60 requests; this account has a larger one.
    await google()("POST", "sheets/quota", { principal: sa.email, per_minute: 1000 });
    const { ctx } = context();
    const config = sheetsConfig(book.id, { service_account_json: sa.json }, { row_batch_size: 5000 });
    const pages: any[] = [];
    for await (const page of googleSheetsConnector.read(ctx, config, tabRequest("Big"))) {
      pages.push(page);
      if (pages.length === 7) break;
    }
    expect(pages.at(-1).checkpoint).toEqual({ next_row: 35_002 });
    const rest = await readAll(ctx, config, tabRequest("Big", pages.at(-1).checkpoint));
    const rows = [...records(pages), ...records(rest)];
    expect(rows).toHaveLength(100_000);
    expect(new Set(rows.map((r) => r._row_number)).size).toBe(100_000);
    expect(rows[0]).toEqual({ _row_number: 2, id: 1, name: "name 1", amount: 0.25, day: "2023-03-16" });
    expect(rows.at(-1)).toEqual({ _row_number: 100_001, id: 100_000, name: "name 100000", amount: 25_000, day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(rows.reduce((sum, r) => sum + (r.id as number), 0)).toBe((100_000 * 100_001) / 2);
    const ranges = (await book.requests()).filter((r) => r.path.endsWith("values:batchGet")).map((r) => r.query.ranges);
    expect(ranges).toHaveLength(20);
    expect(ranges.slice(0, 2)).toEqual(["'Big'!A2:Z5001", "'Big'!A5002:Z10001"]);
    expect(ranges[7]).toBe("'Big'!A35002:Z40001");
    expect(ranges.at(-1)).toBe("'Big'!A95002:Z100001");
  });

  it("keys rows by the config's key columns, counting rows without a key as skipped", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [{ title: "Orders", rows: ORDERS }]);
    const { ctx } = context();
    const config = sheetsConfig(book.id, { service_account_json: sa.json }, { key_columns: { Orders: ["Order ID"] } });
    const [stream] = await googleSheetsConnector.discover(ctx, config);
    const book2 = await spreadsheet([sa.email], [{ title: "Orders", rows: [...ORDERS, ["", 1, 2]] }]);
    const pages = await readAll(ctx, { ...config, spreadsheet_id: book2.id }, tabRequest(stream!));
    expect(records(pages).map((r) => r["Order ID"])).toEqual(["A-1", "A-2", "A-3"]);
    expect(pages.reduce((n, p) => n + (p.skippedRows ?? 0), 0)).toBe(1);
    await expect(readAll(ctx, config, tabRequest({ ...stream!, primary_key: ["Order Id"] }))).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining('name "Order Id", which its header row does not have') });
  });

  it("takes one token of the user's read quota from the shared budget per request, and pauses everyone on a 429", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [{ title: "Orders", rows: ORDERS }]);
    await book.faults({ quota: 1 });
    const takes: Array<[string, number, TokenBucket]> = [];
    const pauses: Array<[string, number]> = [];
    const budget: SharedBudget = {
      take: async (key, cost, bucket) => void takes.push([key, cost, bucket]),
      observe: async (_key: string, _report: BucketReport) => {},
      slot: async () => ({ release: async () => {} }),
      pause: async (key, seconds) => void pauses.push([key, seconds]),
    };
    const { ctx, sleeps } = context({ maxWaitSeconds: 120 });
    const rows = records(await readAll({ ...ctx, budget }, sheetsConfig(book.id, { service_account_json: sa.json }), tabRequest("Orders")));
    expect(rows).toHaveLength(3);
    const key = `google_sheets:read:sa:${sa.email}`;
    // Three requests and the one the quota refused, once more after the wait (the in-process retry is not metered again).
    expect(takes).toEqual([
      [key, 1, { capacity: 6, refillPerSecond: 0.9 }],
      [key, 1, { capacity: 6, refillPerSecond: 0.9 }],
      [key, 1, { capacity: 6, refillPerSecond: 0.9 }],
    ]);
    expect((await book.requests()).map((r) => r.status)).toEqual([429, 200, 200, 200]);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]![0]).toBe(key);
    // Sheets names no wait: until Google's next quota minute.
    expect(pauses[0]![1]).toBeGreaterThanOrEqual(2);
    expect(pauses[0]![1]).toBeLessThanOrEqual(61);
    expect(sleeps).toEqual([pauses[0]![1] * 1000]);
  });

  it("answers Google's refusals with configuration errors that say what to fix", async () => {
    const sa = await serviceAccount();
    const stranger = await serviceAccount("stranger");
    const book = await spreadsheet([sa.email], [{ title: "Orders", rows: ORDERS }]);
    const { ctx } = context();
    await expect(googleSheetsConnector.check(ctx, sheetsConfig(book.id, { service_account_json: stranger.json }))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("Share the spreadsheet with the service account's client_email"),
    });
    await expect(googleSheetsConnector.check(ctx, sheetsConfig("1NoSuchSpreadsheetIdAtAll", { service_account_json: sa.json }))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("Check spreadsheet_id"),
    });
    await sa.revoke();
    const revoked = googleSheetsConnector.check(context().ctx, sheetsConfig(book.id, { service_account_json: sa.json }));
    await expect(revoked).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("invalid_grant") });
  });

  it("works with OAuth user credentials, and a revoked refresh token is a configuration error", async () => {
    const user = `analyst-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const refreshToken = `1//${crypto.randomUUID()}`;
    await google()("POST", "google/oauth-clients", { client_id: "client-1.apps.googleusercontent.com", client_secret: "GOCSPX-secret", refresh_token: refreshToken, user, scopes: ["https://www.googleapis.com/auth/spreadsheets.readonly"] });
    const book = await spreadsheet([user], [{ title: "Orders", rows: ORDERS }]);
    const config = sheetsConfig(book.id, { client_id: "client-1.apps.googleusercontent.com", client_secret: "GOCSPX-secret", refresh_token: refreshToken });
    const rows = records(await readAll(context({ oauthHost: true }).ctx, config, tabRequest("Orders")));
    expect(rows.map((r) => r._row_number)).toEqual([2, 4, 6]);
    expect((await book.requests()).every((r) => r.principal === user)).toBe(true);
    await google()("POST", "google/refresh-tokens/revoke", { refresh_token: refreshToken });
    await expect(readAll(context({ oauthHost: true }).ctx, config, tabRequest("Orders"))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("Token has been expired or revoked"),
    });
  });
});
