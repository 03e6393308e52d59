/** Tokens of the SOQL subset the fake understands. Positions are character offsets for error carets. */
import { SoqlError } from "./errors";

export type Token =
  | { kind: "ident"; text: string; pos: number }
  | { kind: "string"; value: string; pos: number }
  | { kind: "number"; value: number; text: string; pos: number }
  | { kind: "datetime"; value: number; text: string; pos: number }
  | { kind: "date"; value: string; pos: number }
  | { kind: "punct"; text: "(" | ")" | "," | "." | ":"; pos: number }
  | { kind: "op"; text: "=" | "!=" | "<" | "<=" | ">" | ">="; pos: number }
  | { kind: "eof"; pos: number };

/**
 * SOQL datetime literals are unquoted ISO-8601 with a mandatory zone: `Z` or `±hh:mm` (fractional seconds are
 * accepted). A `+` that was not URL-encoded arrives as a space and the literal no longer parses, as on the real API.
 */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER = /^-?\d+(\.\d+)?(?![\dA-Za-z_])/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", '"': '"', "'": "'", "\\": "\\", "%": "\\%", _: "\\_" };

function readString(query: string, start: number): { value: string; end: number } {
  let value = "";
  let i = start + 1;
  while (i < query.length) {
    const ch = query.charAt(i);
    if (ch === "'") return { value, end: i + 1 };
    if (ch === "\\") {
      const escaped = ESCAPES[query.charAt(i + 1)];
      if (escaped === undefined) throw new SoqlError("MALFORMED_QUERY", i, "Invalid string literal: bad escape sequence");
      value += escaped;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  throw new SoqlError("MALFORMED_QUERY", start, "unexpected token: end of string literal");
}

export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const rest = query.slice(i);
    const ch = query.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'") {
      const { value, end } = readString(query, i);
      tokens.push({ kind: "string", value, pos: i });
      i = end;
      continue;
    }
    const dt = DATETIME.exec(rest);
    if (dt) {
      const value = Date.parse(dt[0]);
      if (Number.isNaN(value)) throw new SoqlError("MALFORMED_QUERY", i, `line 1:${i} no viable alternative at character '${ch}'`);
      tokens.push({ kind: "datetime", value, text: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const d = DATE.exec(rest);
    if (d) {
      tokens.push({ kind: "date", value: d[0], pos: i });
      i += d[0].length;
      continue;
    }
    const n = NUMBER.exec(rest);
    if (n) {
      tokens.push({ kind: "number", value: Number(n[0]), text: n[0], pos: i });
      i += n[0].length;
      continue;
    }
    const id = IDENT.exec(rest);
    if (id) {
      tokens.push({ kind: "ident", text: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const two = rest.slice(0, 2);
    if (two === "!=" || two === "<=" || two === ">=" || two === "<>") {
      tokens.push({ kind: "op", text: two === "<>" ? "!=" : two, pos: i });
      i += 2;
      continue;
    }
    if (ch === "=" || ch === "<" || ch === ">") {
      tokens.push({ kind: "op", text: ch, pos: i });
      i++;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === "," || ch === "." || ch === ":") {
      tokens.push({ kind: "punct", text: ch, pos: i });
      i++;
      continue;
    }
    throw new SoqlError("MALFORMED_QUERY", i, `line 1:${i} no viable alternative at character '${ch}'`);
  }
  tokens.push({ kind: "eof", pos: query.length });
  return tokens;
}
