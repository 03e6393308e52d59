import { describe, expect, it } from "vitest";
import type { StreamTarget } from "../../src/warehouses/contract";
import { cursorComparator, planLoad, rowsAsJson } from "../../src/warehouses/load-plan";
import { schemaType, valueType, widen } from "../../src/warehouses/types";

describe("column types", () => {
  it("infers a type per value; strings are never sniffed as timestamps", () => {
    expect(valueType("2024-01-01T00:00:00Z", false)).toBe("string");
    expect(valueType("2024-01-01T00:00:00Z", true)).toBe("timestamp");
    expect(valueType("not a date", true)).toBe("string");
    expect(valueType(3, false)).toBe("integer");
    expect(valueType(3.5, false)).toBe("number");
    expect(valueType(2 ** 53, false)).toBe("number");
    expect(valueType(2n ** 53n, false)).toBe("big_integer");
    expect(valueType(12n, false)).toBe("integer");
    expect(valueType(Number.NaN, false)).toBe("string");
    expect(valueType(true, false)).toBe("boolean");
    expect(valueType({ a: 1 }, false)).toBe("json");
    expect(valueType([1], false)).toBe("json");
    expect(valueType(null, false)).toBe("null");
    expect(valueType(new Date(0), false)).toBe("timestamp");
  });

  it("widens along integer → number → string, to JSON with any object, never narrows", () => {
    expect(widen("integer", "number")).toBe("number");
    expect(widen("number", "string")).toBe("string");
    expect(widen("integer", "big_integer")).toBe("big_integer");
    expect(widen("big_integer", "number")).toBe("string");
    expect(widen("boolean", "integer")).toBe("string");
    expect(widen("timestamp", "string")).toBe("string");
    expect(widen("string", "json")).toBe("json");
    expect(widen("json", "integer")).toBe("json");
    expect(widen("null", "boolean")).toBe("boolean");
    expect(widen("number", "integer")).toBe("number");
  });

  it("keeps exact numbers exact and dates inside timestamps", () => {
    expect(widen("integer", "decimal")).toBe("decimal");
    expect(widen("big_integer", "decimal")).toBe("decimal");
    expect(widen("number", "decimal")).toBe("decimal");
    expect(widen("decimal", "boolean")).toBe("string");
    expect(widen("date", "timestamp")).toBe("timestamp");
    expect(widen("date", "string")).toBe("string");
    expect(valueType("12.50", "decimal")).toBe("decimal");
    expect(valueType("1e5", "decimal")).toBe("string");
    expect(valueType("12.50", null)).toBe("string");
    expect(valueType("2024-02-29", "date")).toBe("date");
    expect(valueType("2023-02-29", "date")).toBe("string");
    expect(valueType("2024-02-01T10:00:00Z", "date")).toBe("timestamp");
    expect(valueType("2024-02-01", null)).toBe("string");
  });

  it("reads JSON schema types, nullable unions and date-time formats", () => {
    expect(schemaType({ type: ["string", "null"], format: "date-time" })).toBe("timestamp");
    expect(schemaType({ type: "string", format: "date" })).toBe("date");
    expect(schemaType({ type: ["string", "null"], format: "decimal" })).toBe("decimal");
    expect(schemaType({ type: "number", format: "decimal" })).toBe("decimal");
    expect(schemaType({ type: ["integer", "number"] })).toBe("number");
    expect(schemaType({ type: "array" })).toBe("json");
    expect(schemaType({ type: "null" })).toBe("null");
  });
});

describe("load plan", () => {
  const target: StreamTarget = { schema: "s", stream: "t", sync_mode: "incremental", primary_key: ["id"], cursor_field: "v", run_id: "r" };

  it("widens over the existing table and lists only the changes", () => {
    const plan = planLoad(target, [{ id: 1, v: 1.5, name: "a", extra: null }], [
      { name: "id", type: "integer" },
      { name: "v", type: "integer" },
      { name: "name", type: "json" },
      { name: "_loader_run_id", type: "string" },
      { name: "_loader_synced_at", type: "timestamp" },
      { name: "_loader_batch_id", type: "string" },
    ]);
    expect(plan.create).toBe(false);
    expect(plan.widen).toEqual([{ name: "v", from: "integer", to: "number" }]);
    expect(plan.add).toEqual([{ name: "_loader_deleted_at", type: "timestamp" }]);
    expect(plan.columns).toEqual([
      { name: "id", type: "integer" },
      { name: "v", type: "number" },
      { name: "name", type: "json" },
    ]);
    expect(plan.rows).toEqual([[1, 1.5, '"a"', null]]);
  });

  it("keeps one row per key: the greatest cursor, the later record on a tie, a cursor over none", () => {
    const plan = planLoad(target, [
      { id: 1, v: 2, n: "keep" },
      { id: 1, v: 1, n: "older" },
      { id: 2, v: 5, n: "first" },
      { id: 2, v: 5, n: "tie, later" },
      { id: 3, v: 1, n: "has cursor" },
      { id: 3, v: null, n: "no cursor" },
    ], null);
    expect(plan.rows.map((row) => row[2])).toEqual(["keep", "tie, later", "has cursor"]);
  });

  it("keeps one row per composite key, telling apart keys that share a column", () => {
    const plan = planLoad({ ...target, primary_key: ["id", "region"] }, [
      { id: 1, region: "eu", v: 1, n: "eu older" },
      { id: 1, region: "us", v: 1, n: "us" },
      { id: 1, region: "eu", v: 2, n: "eu newer" },
    ], null);
    expect(plan.rows.map((row) => row[3])).toEqual(["eu newer", "us"]);
  });

  it("orders cursors by their column type", () => {
    expect(cursorComparator("integer")(10, 9)).toBeGreaterThan(0);
    expect(cursorComparator("string")("10", "9")).toBeLessThan(0);
    expect(cursorComparator("timestamp")("2024-01-01T09:00:00Z", "2024-01-01T10:00:00+02:00")).toBeGreaterThan(0);
    expect(cursorComparator("big_integer")("9007199254740993", "9007199254740992")).toBe(1);
    const decimal = cursorComparator("decimal");
    expect(decimal("10.5", "9.99")).toBeGreaterThan(0);
    expect(decimal("10.50", "10.5")).toBe(0);
    expect(decimal("-10.5", "-9.99")).toBeLessThan(0);
    expect(decimal("-1", "0.5")).toBeLessThan(0);
    expect(decimal("12345678901234567890.000000001", "12345678901234567890")).toBeGreaterThan(0);
    expect(cursorComparator("date")("2024-01-02", "2024-01-01")).toBeGreaterThan(0);
  });

  it("writes big integers exactly, also inside JSON", () => {
    const plan = planLoad({ ...target, cursor_field: null }, [{ id: 1, big: 2n ** 64n, doc: { n: 2n ** 64n } }], null);
    expect(plan.columns.map((c) => c.type)).toEqual(["integer", "big_integer", "json"]);
    expect(rowsAsJson(plan, true)).toEqual(['[1,"18446744073709551616",{"n":18446744073709551616},null]']);
    expect(rowsAsJson(plan, false)).toEqual(['[1,"18446744073709551616","{\\"n\\":18446744073709551616}",null]']);
  });

  it("writes decimals as their text and dates as ISO days", () => {
    const typed: StreamTarget = {
      ...target,
      cursor_field: null,
      json_schema: { type: "object", properties: { amount: { type: "string", format: "decimal" }, day: { type: "string", format: "date" } } },
    };
    const plan = planLoad(typed, [{ id: 1, amount: "12345678901234567890.123456789", day: "2024-03-01" }, { id: 2, amount: 3, day: new Date("2024-03-02T00:00:00Z") }], null);
    expect(plan.columns).toEqual([
      { name: "amount", type: "decimal" },
      { name: "day", type: "date" },
      { name: "id", type: "integer" },
    ]);
    expect(plan.rows).toEqual([
      ["12345678901234567890.123456789", "2024-03-01", 1, null],
      ["3", "2024-03-02", 2, null],
    ]);
  });

  it("refuses a soft-delete marker that is not a timestamp", () => {
    expect(() => planLoad(target, [{ id: 1, _loader_deleted_at: true }], null)).toThrow(/not an ISO timestamp/);
  });
});
