import { describe, expect, it } from "vitest";
import { isoTimestamp, isoTimestampByPattern } from "../../connectors/kit/sql-source";

describe("isoTimestamp (PostgreSQL and MySQL timestamp text)", () => {
  it("gives RFC 3339 UTC for what a UTC session prints, and the text itself for the rest", () => {
    expect(isoTimestamp("2024-05-01 10:00:00.123456+00")).toBe("2024-05-01T10:00:00.123456Z");
    expect(isoTimestamp("2024-05-01 10:00:00+00")).toBe("2024-05-01T10:00:00Z");
    expect(isoTimestamp("2024-05-01 10:00:00")).toBe("2024-05-01T10:00:00Z");
    expect(isoTimestamp("2024-05-01 10:00:00.5+00:00")).toBe("2024-05-01T10:00:00.5Z");
    expect(isoTimestamp("2024-05-01 10:00:00+0000")).toBe("2024-05-01T10:00:00Z");
    expect(isoTimestamp("2024-05-01 10:00:00+05")).toBe("2024-05-01 10:00:00+05");
    expect(isoTimestamp("infinity")).toBe("infinity");
    expect(isoTimestamp("12024-05-01 10:00:00+00")).toBe("12024-05-01 10:00:00+00");
    expect(isoTimestamp("2024-05-01 10:00:00 BC")).toBe("2024-05-01 10:00:00 BC");
  });

  it("agrees with its regular expression on the edges and on random strings of the printed shape", () => {
    const edges = ["", "2024-05-01 10:00:00.", "2024-05-01 10:00:00.+00", "2024-05-01 10:00:0a", "2024-05-01T10:00:00+00", "2024-05-01 10:00:00+00:0", "2024-05-01 10:00:00+00:000", "2024-05-01 10:00:00+000", "2024-05-01 10:00:00-00"];
    for (const text of edges) expect([text, isoTimestamp(text)]).toEqual([text, isoTimestampByPattern(text)]);
    const alphabet = "0123456789 -:.+T0000000000";
    const base = "2024-05-01 10:00:00.123456+00:00";
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 20_000; n++) {
      const chars = base.slice(0, 19 + Math.floor(random() * 14)).split("");
      for (let k = Math.floor(random() * 3); k > 0; k--) chars[Math.floor(random() * chars.length)] = alphabet[Math.floor(random() * alphabet.length)]!;
      const text = chars.join("");
      if (isoTimestamp(text) !== isoTimestampByPattern(text)) expect([text, isoTimestamp(text)]).toEqual([text, isoTimestampByPattern(text)]);
    }
  });
});
