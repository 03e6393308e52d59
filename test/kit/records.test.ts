import { describe, expect, it } from "vitest";
import {
  applyLookback,
  compareCursors,
  extractRecords,
  flattenRecord,
  getPath,
  maxCursor,
  maxCursorOf,
  subtractSeconds,
} from "../../connectors/kit/records";

describe("getPath", () => {
  const body = { a: { b: [{ c: 1 }, { c: 2 }] }, "": 0, n: null };
  it.each([
    ["a.b.1.c", 2],
    ["a.b.0", { c: 1 }],
    ["a.b.x", undefined],
    ["a.missing.c", undefined],
    ["n.x", undefined],
    ["a.b.5.c", undefined],
  ])("%s", (path, expected) => {
    expect(getPath(body, path)).toEqual(expected);
  });
  it("answers the value itself for an empty path", () => {
    expect(getPath(body, "")).toBe(body);
    expect(getPath(body, undefined)).toBe(body);
  });
});

describe("extractRecords", () => {
  it("finds the array at the path, or takes the body as the array", () => {
    expect(extractRecords({ data: { items: [{ id: 1 }] } }, "data.items")).toEqual([{ id: 1 }]);
    expect(extractRecords([{ id: 2 }], undefined)).toEqual([{ id: 2 }]);
    expect(extractRecords({ items: null }, "items")).toEqual([]);
  });
  it("names a wrong records_path as a configuration error, listing the keys that exist", () => {
    expect(() => extractRecords({ results: [], next: null }, "items")).toThrowError(
      expect.objectContaining({ kind: "configuration", message: 'records_path "items" is not an array (found nothing); the body has keys: results, next' }),
    );
    expect(() => extractRecords({ items: { id: 1 } }, "items")).toThrowError(expect.objectContaining({ kind: "configuration" }));
  });
  it("rejects records that are not objects as a data error", () => {
    expect(() => extractRecords([1, 2], undefined)).toThrowError(expect.objectContaining({ kind: "data", message: "record 0 is a number, not an object" }));
  });
});

describe("cursors", () => {
  it.each([
    ["2024-01-01T00:00:01Z", "2024-01-01T00:00:00.999Z", 1],
    ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000Z", 0],
    ["2024-01-01T02:00:00+02:00", "2024-01-01T00:30:00Z", -1],
    ["2024-01-02", "2024-01-01T23:59:59Z", 1],
    [10, 9, 1],
    ["10", "9", 1],
    [9.5, "10", -1],
    ["b", "a", 1],
  ])("compare(%s, %s) has sign %i", (a, b, sign) => {
    expect(Math.sign(compareCursors(a, b))).toBe(sign);
  });

  it("takes the max, treating null as absent", () => {
    expect(maxCursor(null, "2024-01-01T00:00:00Z")).toBe("2024-01-01T00:00:00Z");
    expect(maxCursor("2024-01-02T00:00:00Z", undefined)).toBe("2024-01-02T00:00:00Z");
    expect(maxCursor("2024-01-01T10:00:00+02:00", "2024-01-01T09:00:00Z")).toBe("2024-01-01T09:00:00Z");
    expect(maxCursor(null, null)).toBeNull();
  });

  it("finds the greatest cursor of a page, skipping records without one", () => {
    const page = [{ u: "2024-01-02T00:00:00Z" }, { u: null }, {}, { u: "2024-01-03T00:00:00Z" }, { u: { nested: 1 } }];
    expect(maxCursorOf(page, "u", "2024-01-01T00:00:00Z")).toBe("2024-01-03T00:00:00Z");
    expect(maxCursorOf([{ m: { at: 5 } }, { m: { at: 7 } }], "m.at", null)).toBe(7);
    expect(maxCursorOf([], "u", "2024-01-04T00:00:00Z")).toBe("2024-01-04T00:00:00Z");
  });
});

describe("subtractSeconds and applyLookback", () => {
  it.each([
    ["2024-01-01T00:00:00Z", 90, "2023-12-31T23:58:30Z"],
    ["2024-01-01T00:00:00.250Z", 1, "2023-12-31T23:59:59.250Z"],
    ["2024-01-01T00:00:00.123456Z", 1, "2023-12-31T23:59:59.123000Z"],
    ["2024-01-01T02:00:00+02:00", 60, "2023-12-31T23:59:00Z"],
    ["2024-03-01", 3600, "2024-02-29"],
  ])("%s minus %i s is %s", (iso, seconds, expected) => {
    expect(subtractSeconds(iso, seconds)).toBe(expected);
  });

  it("refuses a value that is not a timestamp", () => {
    expect(() => subtractSeconds("yesterday", 5)).toThrowError(expect.objectContaining({ kind: "data" }));
  });

  it("moves ISO timestamps and dates back by a positive lookback, and sends any cursor unchanged without one", () => {
    expect(applyLookback("2024-01-01T00:00:10Z", 10)).toBe("2024-01-01T00:00:00Z");
    expect(applyLookback("2024-03-10", 3 * 86_400)).toBe("2024-03-07");
    expect(applyLookback("2024-01-01T00:00:10.000Z", 0)).toBe("2024-01-01T00:00:10.000Z");
    expect(applyLookback(12345, 0)).toBe(12345);
    expect(applyLookback("abc-123", 0)).toBe("abc-123");
  });

  it.each([12345, "abc-123", "yesterday", "2024-13-45", "1700000000"])("refuses a lookback on the cursor %j, which is not an ISO timestamp", (cursor) => {
    expect(() => applyLookback(cursor, 10)).toThrowError(
      expect.objectContaining({ name: "ConnectorError", kind: "configuration", message: expect.stringContaining("set the lookback to 0") }),
    );
  });
});

describe("flattenRecord", () => {
  it("lifts nested keys to the top level, keeping colliding ones under a prefix", () => {
    const contact = {
      id: "51",
      createdAt: "2024-01-01T00:00:00Z",
      properties: { email: "a@b.c", firstname: "Ada", id: "51-dup", createdAt: null },
      archived: false,
    };
    expect(flattenRecord(contact, { unnest: ["properties"] })).toEqual({
      id: "51",
      createdAt: "2024-01-01T00:00:00Z",
      archived: false,
      email: "a@b.c",
      firstname: "Ada",
      properties_id: "51-dup",
      properties_createdAt: null,
    });
  });
  it("leaves records whose field is missing or not an object as they are", () => {
    expect(flattenRecord({ id: 1, properties: null }, { unnest: ["properties"] })).toEqual({ id: 1, properties: null });
    expect(flattenRecord({ id: 1, tags: ["x"] }, { unnest: ["tags", "absent"] })).toEqual({ id: 1, tags: ["x"] });
  });
});
