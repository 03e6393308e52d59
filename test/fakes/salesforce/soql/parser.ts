/**
 * A recursive-descent parser for the SOQL a replication client sends:
 *   SELECT <fields | relationship paths | COUNT() | FIELDS(ALL|STANDARD|CUSTOM)> FROM <Object>
 *   [WHERE <comparisons, IN, LIKE, joined by AND / OR / NOT with parentheses>]
 *   [ORDER BY <path> [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
 * Keywords are case-insensitive. Anything else (subqueries, GROUP BY, TYPEOF, aggregates, date functions,
 * relative date literals) is rejected with MALFORMED_QUERY rather than silently misread.
 */
import { SoqlError } from "./errors";
import { type Token, tokenize } from "./lexer";

export type Literal =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "datetime"; value: number }
  | { kind: "date"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" };

export interface Path {
  segments: string[];
  pos: number;
}

export type SelectItem =
  | { kind: "field"; path: Path }
  | { kind: "count"; pos: number }
  | { kind: "fields"; which: "ALL" | "STANDARD" | "CUSTOM"; pos: number };

export type Condition =
  | { kind: "and" | "or"; items: Condition[] }
  | { kind: "not"; item: Condition }
  | { kind: "compare"; path: Path; op: "=" | "!=" | "<" | "<=" | ">" | ">="; value: Literal; valuePos: number }
  | { kind: "in"; path: Path; negate: boolean; values: Literal[]; valuePos: number }
  | { kind: "like"; path: Path; pattern: string; valuePos: number };

export interface OrderItem {
  path: Path;
  descending: boolean;
  nullsFirst: boolean;
}

export interface SoqlQuery {
  select: SelectItem[];
  from: { name: string; pos: number };
  where?: Condition;
  orderBy: OrderItem[];
  limit?: { value: number; pos: number };
  offset?: { value: number; pos: number };
}

const RESERVED = new Set(["SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN", "LIKE", "ASC", "DESC", "NULLS", "FIRST", "LAST", "GROUP", "HAVING", "WITH", "USING", "FOR", "UPDATE", "TRUE", "FALSE", "NULL", "TYPEOF", "INCLUDES", "EXCLUDES"]);

export function parseSoql(query: string): SoqlQuery {
  const tokens = tokenize(query);
  let at = 0;
  const peek = (): Token => tokens[at] ?? { kind: "eof", pos: query.length };
  const next = (): Token => {
    const token = peek();
    at++;
    return token;
  };
  const sourceText = (token: Token) => {
    if (token.kind === "eof") return "<EOF>";
    const following = tokens[tokens.indexOf(token) + 1];
    return query.slice(token.pos, following?.pos ?? query.length).trim();
  };
  const unexpected = (token: Token): never => {
    throw new SoqlError("MALFORMED_QUERY", token.pos, `unexpected token: '${sourceText(token)}'`);
  };
  const isPunct = (token: Token | undefined, text: string) => token?.kind === "punct" && token.text === text;
  const isKeyword = (token: Token, word: string) => token.kind === "ident" && token.text.toUpperCase() === word;
  const expectKeyword = (word: string) => {
    const token = next();
    if (!isKeyword(token, word)) unexpected(token);
  };
  const acceptKeyword = (word: string) => {
    if (isKeyword(peek(), word)) {
      at++;
      return true;
    }
    return false;
  };
  const expectPunct = (text: string) => {
    const token = next();
    if (!isPunct(token, text)) unexpected(token);
  };
  const acceptPunct = (text: string) => {
    if (isPunct(peek(), text)) {
      at++;
      return true;
    }
    return false;
  };

  const parsePath = (): Path => {
    const first = next();
    if (first.kind !== "ident" || RESERVED.has(first.text.toUpperCase())) return unexpected(first);
    const segments = [first.text];
    while (acceptPunct(".")) {
      const segment = next();
      if (segment.kind !== "ident") return unexpected(segment);
      segments.push(segment.text);
    }
    return { segments, pos: first.pos };
  };

  const parseSelectItem = (): SelectItem => {
    const token = peek();
    if (isPunct(token, "(")) {
      throw new SoqlError("MALFORMED_QUERY", token.pos, "parent-to-child subqueries are not supported by this fake");
    }
    if (token.kind === "ident" && isPunct(tokens[at + 1], "(")) {
      const name = token.text.toUpperCase();
      at += 2;
      if (name === "COUNT" && acceptPunct(")")) return { kind: "count", pos: token.pos };
      if (name === "FIELDS") {
        const which = next();
        const upper = which.kind === "ident" ? which.text.toUpperCase() : "";
        if (upper !== "ALL" && upper !== "STANDARD" && upper !== "CUSTOM") return unexpected(which);
        expectPunct(")");
        return { kind: "fields", which: upper, pos: token.pos };
      }
      throw new SoqlError("MALFORMED_QUERY", token.pos, `unexpected token: '${token.text}' (functions and aggregates are not supported by this fake)`);
    }
    if (isKeyword(token, "TYPEOF")) unexpected(token);
    return { kind: "field", path: parsePath() };
  };

  const parseLiteral = (): { value: Literal; pos: number } => {
    const token = next();
    switch (token.kind) {
      case "string":
        return { value: { kind: "string", value: token.value }, pos: token.pos };
      case "number":
        return { value: { kind: "number", value: token.value }, pos: token.pos };
      case "datetime":
        return { value: { kind: "datetime", value: token.value }, pos: token.pos };
      case "date":
        return { value: { kind: "date", value: token.value }, pos: token.pos };
      case "ident": {
        const upper = token.text.toUpperCase();
        if (upper === "TRUE" || upper === "FALSE") return { value: { kind: "boolean", value: upper === "TRUE" }, pos: token.pos };
        if (upper === "NULL") return { value: { kind: "null" }, pos: token.pos };
        // Relative date literals (TODAY, LAST_N_DAYS:n, …) exist in SOQL but are outside this fake.
        throw new SoqlError("MALFORMED_QUERY", token.pos, `unexpected token: '${token.text}' (relative date literals are not supported by this fake)`);
      }
      default:
        return unexpected(token);
    }
  };

  const parsePrimary = (): Condition => {
    if (acceptPunct("(")) {
      const inner = parseCondition();
      expectPunct(")");
      return inner;
    }
    if (acceptKeyword("NOT")) return { kind: "not", item: parsePrimary() };
    const path = parsePath();
    const token = peek();
    if (token.kind === "op") {
      at++;
      const literal = parseLiteral();
      return { kind: "compare", path, op: token.text, value: literal.value, valuePos: literal.pos };
    }
    const negate = acceptKeyword("NOT");
    if (acceptKeyword("IN")) {
      const open = peek();
      expectPunct("(");
      const values: Literal[] = [parseLiteral().value];
      while (acceptPunct(",")) values.push(parseLiteral().value);
      expectPunct(")");
      return { kind: "in", path, negate, values, valuePos: open.pos };
    }
    if (!negate && acceptKeyword("LIKE")) {
      const literal = parseLiteral();
      if (literal.value.kind !== "string") {
        throw new SoqlError("MALFORMED_QUERY", literal.pos, "LIKE requires a string literal");
      }
      return { kind: "like", path, pattern: literal.value.value, valuePos: literal.pos };
    }
    return unexpected(peek());
  };

  // SOQL refuses to mix AND and OR at one level without parentheses.
  const parseCondition = (): Condition => {
    const first = parsePrimary();
    const items = [first];
    let joiner: "and" | "or" | undefined;
    for (;;) {
      const token = peek();
      const word = isKeyword(token, "AND") ? "and" : isKeyword(token, "OR") ? "or" : undefined;
      if (!word) break;
      if (joiner && joiner !== word) unexpected(token);
      joiner = word;
      at++;
      items.push(parsePrimary());
    }
    return joiner ? { kind: joiner, items } : first;
  };

  const parseInteger = (): { value: number; pos: number } => {
    const token = next();
    if (token.kind !== "number" || !Number.isInteger(token.value) || token.value < 0) return unexpected(token);
    return { value: token.value, pos: token.pos };
  };

  expectKeyword("SELECT");
  const select = [parseSelectItem()];
  while (acceptPunct(",")) select.push(parseSelectItem());
  expectKeyword("FROM");
  const fromToken = next();
  if (fromToken.kind !== "ident" || RESERVED.has(fromToken.text.toUpperCase())) return unexpected(fromToken);
  const from = { name: fromToken.text, pos: fromToken.pos };
  const result: SoqlQuery = { select, from, orderBy: [] };
  if (acceptKeyword("WHERE")) result.where = parseCondition();
  if (acceptKeyword("ORDER")) {
    expectKeyword("BY");
    do {
      const path = parsePath();
      const descending = acceptKeyword("DESC") ? true : (acceptKeyword("ASC"), false);
      // Default null placement: first when ascending, last when descending.
      let nullsFirst = !descending;
      if (acceptKeyword("NULLS")) {
        if (acceptKeyword("FIRST")) nullsFirst = true;
        else if (acceptKeyword("LAST")) nullsFirst = false;
        else unexpected(peek());
      }
      result.orderBy.push({ path, descending, nullsFirst });
    } while (acceptPunct(","));
  }
  if (acceptKeyword("LIMIT")) result.limit = parseInteger();
  if (acceptKeyword("OFFSET")) result.offset = parseInteger();
  const end = peek();
  if (end.kind !== "eof") unexpected(end);
  return result;
}
