import { describe, expect, it } from "vitest";
import type { StreamTarget } from "../../src/warehouses/contract";
import { cursorComparator, planLoad, rowsAsJson } from "../../src/warehouses/load-plan";
import { isIsoTimestamp, schemaType, valueType, widen } from "../../src/warehouses/types";

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

describe("timestamp check", () => {
  // isIsoTimestamp answers the common form without Date.parse; for every string of that shape it must agree with
  // Date.parse (run here in workerd's V8, the engine the Worker runs in).
  const parses = (text: string) => !Number.isNaN(Date.parse(text));
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const stamp = (y: number, mo: number, d: number, h: number, mi: number, s: number, tail = "Z") =>
    `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${tail}`;

  it("agrees with Date.parse field by field, in and out of range", () => {
    const cases: string[] = [];
    for (let mo = 0; mo <= 13; mo++) for (let d = 0; d <= 32; d++) cases.push(stamp(2024, mo, d, 10, 0, 0), stamp(2023, mo, d, 0, 0, 0));
    for (let h = 0; h <= 25; h++) for (const mi of [0, 1, 59]) cases.push(stamp(2024, 5, 1, h, mi, 0), stamp(2024, 5, 1, h, 0, 0, ".000Z"));
    for (let mi = 0; mi <= 61; mi++) cases.push(stamp(2024, 5, 1, 10, mi, 0));
    for (let s = 0; s <= 61; s++) cases.push(stamp(2024, 5, 1, 10, 0, s));
    for (const y of [0, 1, 999, 1000, 1899, 1900, 1970, 2000, 9999]) cases.push(stamp(y, 2, 29, 0, 0, 0), stamp(y, 12, 31, 23, 59, 59));
    for (let oh = 0; oh <= 25; oh++) {
      for (const om of [0, 30, 59, 60, 99]) for (const sign of ["+", "-"]) cases.push(stamp(2024, 5, 1, 10, 0, 0, `${sign}${pad(oh)}:${pad(om)}`));
    }
    for (let digits = 1; digits <= 24; digits++) cases.push(stamp(2024, 5, 1, 10, 0, 0, `.${"123456789".repeat(3).slice(0, digits)}Z`));
    for (const tail of [".Z", "", "z", "+05", "+0530", "+05:3", "+05:300", " +05:30", ".1234x", "Z ", "ZZ", ".5+01:00", "-00:00"]) {
      cases.push(stamp(2024, 5, 1, 10, 0, 0, tail));
    }
    cases.push("2024-05-01t10:00:00z", "2024-05-01 10:00:00Z", "2024-05-01T10:00Z", "2024-05-01", "2024/05/01T10:00:00Z", "+02024-05-01T10:00:00Z");
    cases.push("2024-05-01T1a:00:00Z", "2024-0a-01T10:00:00Z", "20a4-05-01T10:00:00Z", "2024-05-01T10:00:0aZ", "2024-05-01T10:00:00+0a:00");
    const wrong = cases.filter((text) => isIsoTimestamp(text) && !parses(text));
    expect(wrong).toEqual([]);
    // The common form is accepted exactly where Date.parse accepts it; the others keep the regular expression's answer.
    expect(cases.filter((text) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) && isIsoTimestamp(text) !== parses(text))).toEqual([]);
    expect(isIsoTimestamp("2024-05-01 10:00:00Z")).toBe(true);
    expect(isIsoTimestamp("2024-05-01t10:00:00z")).toBe(true);
    expect(isIsoTimestamp("2024-05-01")).toBe(true);
    expect(isIsoTimestamp("2024-05-01T10:00Z")).toBe(true);
    expect(isIsoTimestamp("2024-05-01T10:00:00.Z")).toBe(false);
    expect(isIsoTimestamp("2024-13-01T10:00:00Z")).toBe(false);
    expect(isIsoTimestamp("2024-02-30T10:00:00Z")).toBe(parses("2024-02-30T10:00:00Z"));
  });

  it("agrees with Date.parse on random strings of the common shape", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const tails = ["Z", ".1Z", ".123456Z", "+00:00", "-07:00", "+14:45", "+25:00", "-03:61"];
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const text = stamp(random(10_000), random(15), random(34), random(26), random(62), random(62), tails[random(tails.length)]);
      if (isIsoTimestamp(text) !== parses(text)) wrong.push(text);
    }
    expect(wrong).toEqual([]);
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
