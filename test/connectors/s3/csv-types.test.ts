import { describe, expect, it } from "vitest";
import { type CsvType, inferTypes, typeOfValue, typedValue } from "../../../connectors/s3/csv-types";

/** The value of one text in a column that starts as `type`, and the column's type after it. */
function typed(type: CsvType, text: string): [unknown, CsvType] {
  const types: CsvType[] = [type];
  const value = typedValue(types, 0, text);
  return [value instanceof Date ? value.toISOString() : value, types[0]!];
}

describe("s3 csv typing", () => {
  it("reads ISO 8601 timestamps to the millisecond, with Z, an offset or none (UTC)", () => {
    expect(typed("t", "2024-01-01T10:00:00Z")).toEqual(["2024-01-01T10:00:00.000Z", "t"]);
    expect(typed("t", "2024-01-01 10:00")).toEqual(["2024-01-01T10:00:00.000Z", "t"]);
    expect(typed("t", "2024-01-01t10:00:00.5z")).toEqual(["2024-01-01T10:00:00.500Z", "t"]);
    expect(typed("t", "2024-01-01T00:00:00.123-00:00")).toEqual(["2024-01-01T00:00:00.123Z", "t"]);
    expect(typed("t", "2024-01-01T10:00:00+0530")).toEqual(["2024-01-01T04:30:00.000Z", "t"]);
    expect(typed("t", "2024-01-01T10:00:00+05")).toEqual(["2024-01-01T05:00:00.000Z", "t"]);
    expect(typed("t", "2024-01-01T00:00:00+23:59")).toEqual(["2023-12-31T00:01:00.000Z", "t"]);
    expect(typed("t", "2024-02-29T12:00:00Z")).toEqual(["2024-02-29T12:00:00.000Z", "t"]);
    // 24:00 is the end of the day; years below 100 are not read as 19xx, and year 0 is a leap year.
    expect(typed("t", "2024-01-01T24:00:00Z")).toEqual(["2024-01-02T00:00:00.000Z", "t"]);
    expect(typed("t", "0000-02-29T00:00:00Z")).toEqual(["0000-02-29T00:00:00.000Z", "t"]);
    expect(typed("t", "0099-12-31T23:00:00-02:00")).toEqual(["0100-01-01T01:00:00.000Z", "t"]);
  });

  it("keeps as text what names no instant exactly, widening the column", () => {
    for (const text of [
      "2024-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-01-00T00:00:00Z",
      "2024-01-01T24:00:01Z",
      "2024-01-01T23:60:00Z",
      "2024-01-01T23:59:60Z",
      "2024-01-01T00:00:00+24:00",
      "2024-01-01T00:00:00+05:60",
    ]) {
      expect(typeOfValue(text)).toBe("s");
      expect(typed("t", text)).toEqual([text, "s"]);
    }
  });

  it("counts significant digits for exact numbers, and widens integers, numbers and booleans as documented", () => {
    expect(typeOfValue("-0.0120e5")).toBe("n");
    expect(typeOfValue("0.000000000000001")).toBe("n");
    expect(typeOfValue("1.23456789012345")).toBe("n");
    expect(typeOfValue("1.234567890123456")).toBe("s");
    expect(typed("i", "9007199254740993")).toEqual([9007199254740993n, "i"]);
    expect(typed("i", "1.5")).toEqual([1.5, "n"]);
    expect(typed("n", "9007199254740993")).toEqual(["9007199254740993", "s"]);
    expect(typed("b", "TRUE")).toEqual([true, "b"]);
    expect(typed("b", "yes")).toEqual(["yes", "s"]);
    expect(typed("?", "12")).toEqual([12, "i"]);
    expect(typed("s", "12")).toEqual(["12", "s"]);
    expect(typedValue(["i"], 0, "")).toBeNull();
    expect(inferTypes(3, [["1", "2024-01-01T00:00:00Z", ""], ["2", "x", ""]])).toEqual(["i", "s", "?"]);
  });
});
