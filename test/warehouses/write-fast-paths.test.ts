import { describe, expect, it } from "vitest";
import type { StreamTarget } from "../../src/warehouses/contract";
import { planLoad } from "../../src/warehouses/load-plan";
import { copyInMessages, copyText } from "../../src/warehouses/postgresql/copy-text";
import { COLUMN_TYPES, type InferredType, type StringHint, keepsType, valueType, widen } from "../../src/warehouses/types";

const HINTS: StringHint[] = [null, "timestamp", "date", "decimal"];
const TYPES: InferredType[] = ["null", ...COLUMN_TYPES];

/** Values of every kind a record carries, including the edges of each type check. */
const VALUES: unknown[] = [
  undefined,
  null,
  0,
  -7,
  3.5,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  12n,
  2n ** 53n,
  -(2n ** 63n),
  true,
  false,
  "",
  "text",
  "1",
  "-12.50",
  "1e5",
  "+1",
  "12.",
  "2024-01-01",
  "2024-02-30",
  "2024-01-01T00:00:00Z",
  "2024-01-01T10:00:00.123456Z",
  "2024-01-01T10:00:00+05:30",
  "2024-01-01 10:00:00",
  "2024-13-01T00:00:00Z",
  "2024-01-01T00:00:00Z\n",
  new Date(0),
  new Date(86_400_000 + 1),
  new Date(Number.NaN),
  { a: 1 },
  [1, 2],
  Symbol("s"),
];

describe("keepsType", () => {
  it("never says a value keeps a column's type when valueType and widen would change it", () => {
    for (const type of TYPES) {
      for (const hint of HINTS) {
        const keeps = keepsType(type, hint);
        for (const value of VALUES) {
          if (keeps(value)) expect([type, hint, value, widen(type, valueType(value, hint))]).toEqual([type, hint, value, type]);
        }
      }
    }
  });

  it("answers the common database cells without the slow path", () => {
    expect(keepsType("integer", null)(12n)).toBe(true);
    expect(keepsType("integer", null)(41)).toBe(true);
    expect(keepsType("string", null)("item 1")).toBe(true);
    expect(keepsType("decimal", "decimal")("12.50")).toBe(true);
    expect(keepsType("boolean", null)(false)).toBe(true);
    expect(keepsType("timestamp", "timestamp")("2024-01-01T10:00:00.123456Z")).toBe(true);
    expect(keepsType("timestamp", "timestamp")(null)).toBe(true);
    // And refuses what does not fit: the caller widens.
    expect(keepsType("integer", null)(2n ** 53n)).toBe(false);
    expect(keepsType("timestamp", "timestamp")("2024-01-01T00:00:00Z\n")).toBe(false);
    expect(keepsType("decimal", null)("12.50")).toBe(false);
    expect(keepsType("string", null)({ a: 1 })).toBe(false);
  });
});

const target = (json_schema?: StreamTarget["json_schema"]): StreamTarget => ({
  schema: "s",
  stream: "items",
  sync_mode: "full_refresh",
  primary_key: ["id"],
  cursor_field: null,
  run_id: "run_1",
  ...(json_schema ? { json_schema } : {}),
});

describe("planLoad's per-column type check", () => {
  const schema: StreamTarget["json_schema"] = {
    type: "object",
    properties: {
      id: { type: "integer" },
      at: { type: ["string", "null"], format: "date-time" },
      amount: { type: ["string", "null"], format: "decimal" },
    },
  };

  it("widens a settled column when a later value of another type arrives", () => {
    const records = [
      { id: 1, at: "2024-01-01T00:00:00Z", amount: "1.50" },
      { id: 2, at: null, amount: "2" },
      // Not a timestamp and not decimal text: both columns become text from here, though the schema said otherwise.
      { id: 3, at: "yesterday", amount: "n/a" },
      { id: 4, at: "2024-01-02T00:00:00Z", amount: "4.00" },
    ];
    const plan = planLoad(target(schema), records, null);
    expect(plan.columns).toEqual([
      { name: "id", type: "integer" },
      { name: "at", type: "string" },
      { name: "amount", type: "string" },
    ]);
    expect(plan.rows.map((row) => row.slice(0, 3))).toEqual([
      [1, "2024-01-01T00:00:00Z", "1.50"],
      [2, null, "2"],
      [3, "yesterday", "n/a"],
      [4, "2024-01-02T00:00:00Z", "4.00"],
    ]);
  });

  it("widens integer keys to big integers at the first one beyond 2^53, then to json at an object", () => {
    const plan = planLoad(target(), [{ id: 1, v: 1 }, { id: 2n ** 60n, v: 2n ** 60n }, { id: 3, v: { a: 1n } }], null);
    expect(plan.columns).toEqual([
      { name: "id", type: "big_integer" },
      { name: "v", type: "json" },
    ]);
    expect(plan.rows.map((row) => row.slice(0, 2))).toEqual([
      ["1", "1"],
      [String(2n ** 60n), String(2n ** 60n)],
      ["3", '{"a":1}'],
    ]);
  });

  it("types the same as the value-by-value check on every pair of sample values", () => {
    const samples = VALUES.filter((value) => typeof value !== "symbol");
    for (const first of samples) {
      for (const second of samples) {
        const plan = planLoad(target(schema), [{ id: 1, at: first, amount: first, x: first }, { id: 2, at: second, amount: second, x: second }], null);
        const expected = (start: InferredType, hint: StringHint) => {
          const type = widen(widen(start, valueType(first, hint)), valueType(second, hint));
          return type === "null" ? undefined : type;
        };
        const types = Object.fromEntries(plan.columns.map((column) => [column.name, column.type]));
        expect([first, second, types.at, types.amount, types.x]).toEqual([
          first,
          second,
          expected("timestamp", "timestamp"),
          expected("decimal", "decimal"),
          expected("null", null),
        ]);
      }
    }
  });
});

describe("COPY text", () => {
  it("escapes text and json cells, writes NULL, booleans, numbers and typed text as they are", () => {
    const records = [
      {
        id: 1,
        name: "tab\there, newline\nthere, cr\rand a backslash \\ and NUL\0 end",
        doc: { s: "a\tb\\c\nd", n: 1, u: "é ☃ 𝄞", z: "\u0000" },
        ok: true,
        f: 2.5,
        big: 2n ** 60n,
        amount: "-12.50",
        at: "2024-01-01T10:00:00.123456Z",
        day: "2024-02-29",
      },
      { id: 2, name: null, doc: null, ok: false, f: null, big: null, amount: null, at: null, day: null },
      { id: 3, name: "\\N", doc: ["\\N"], ok: null, f: -0.001, big: 5, amount: "0", at: "2024-01-01T00:00:00+05:30", day: "2024-01-01" },
      { id: 4, name: "ünïcödé 𝄞 ☃", doc: "just text", ok: true, f: 1e21, big: -(2n ** 62n), amount: "3", at: "2024-01-01T00:00:00Z", day: "2024-12-31" },
    ];
    const plan = planLoad(
      target({
        type: "object",
        properties: {
          amount: { type: ["string", "null"], format: "decimal" },
          at: { type: ["string", "null"], format: "date-time" },
          day: { type: ["string", "null"], format: "date" },
        },
      }),
      records,
      null,
    );
    expect(plan.columns.map((column) => column.type)).toEqual(["decimal", "timestamp", "date", "integer", "string", "json", "boolean", "number", "big_integer"]);
    expect(copyText(plan).split("\n")).toEqual([
      [
        "-12.50",
        "2024-01-01T10:00:00.123456Z",
        "2024-02-29",
        "1",
        "tab\\there, newline\\nthere, cr\\rand a backslash \\\\ and NUL end",
        '{"s":"a\\\\tb\\\\\\\\c\\\\nd","n":1,"u":"é ☃ 𝄞","z":""}',
        "t",
        "2.5",
        String(2n ** 60n),
        "\\N",
      ].join("\t"),
      ["\\N", "\\N", "\\N", "2", "\\N", "\\N", "f", "\\N", "\\N", "\\N"].join("\t"),
      ["0", "2024-01-01T00:00:00+05:30", "2024-01-01", "3", "\\\\N", '["\\\\\\\\N"]', "\\N", "-0.001", "5", "\\N"].join("\t"),
      ["3", "2024-01-01T00:00:00Z", "2024-12-31", "4", "ünïcödé 𝄞 ☃", '"just text"', "t", "1e+21", String(-(2n ** 62n)), "\\N"].join("\t"),
      "",
    ]);
  });
});

describe("COPY input messages", () => {
  it("frames the text's UTF-8 bytes as one CopyData, then CopyDone", () => {
    const text = "1\tünï 𝄞\n2\t\\N\n";
    const bytes = new TextEncoder().encode(text);
    const message = copyInMessages(text);
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    expect(message.length).toBe(bytes.length + 10);
    expect(String.fromCharCode(message[0]!)).toBe("d");
    expect(view.getInt32(1)).toBe(bytes.length + 4);
    expect(new TextDecoder().decode(message.subarray(5, 5 + bytes.length))).toBe(text);
    expect([...message.subarray(5 + bytes.length)]).toEqual([0x63, 0, 0, 0, 4]);
    expect([...copyInMessages("")]).toEqual([0x64, 0, 0, 0, 4, 0x63, 0, 0, 0, 4]);
  });
});
