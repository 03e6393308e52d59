/**
 * A small GraphQL document parser for the Shopify fake (the executable-definition part of the GraphQL spec, October
 * 2021 §2): operations with names and variable definitions, selection sets with aliases and arguments, fragment
 * definitions and spreads, inline fragments, every literal kind (strings with escapes and block strings, ints, floats,
 * booleans, null, enums, lists, objects) and variables. Type-system definitions and directives other than being
 * skipped are not supported: the fake answers them with a syntax error, as a server that does not take them would.
 */

export interface Location {
  line: number;
  column: number;
}

export type Value =
  | { kind: "variable"; name: string }
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "enum"; value: string }
  | { kind: "list"; values: Value[] }
  | { kind: "object"; fields: Record<string, Value> };

export interface Field {
  kind: "field";
  alias?: string;
  name: string;
  args: Record<string, Value>;
  selections: Selection[] | null;
  loc: Location;
}
export interface FragmentSpread {
  kind: "spread";
  name: string;
  loc: Location;
}
export interface InlineFragment {
  kind: "inline";
  typeCondition: string | null;
  selections: Selection[];
  loc: Location;
}
export type Selection = Field | FragmentSpread | InlineFragment;

export interface VariableDefinition {
  name: string;
  type: string;
  defaultValue?: Value;
}

export interface Operation {
  operation: "query" | "mutation";
  name: string | null;
  variables: VariableDefinition[];
  selections: Selection[];
  loc: Location;
}

export interface Fragment {
  name: string;
  typeCondition: string;
  selections: Selection[];
}

export interface Document {
  operations: Operation[];
  fragments: Map<string, Fragment>;
}

export class GraphqlSyntaxError extends Error {
  readonly loc: Location;
  constructor(message: string, loc: Location) {
    super(message);
    this.loc = loc;
  }
}

type Token = { kind: "punct" | "name" | "int" | "float" | "string" | "eof"; value: string; loc: Location };

const PUNCT = new Set(["!", "$", "(", ")", ":", "=", "@", "[", "]", "{", "}", "|", "&"]);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = (at: number): Location => ({ line, column: at - lineStart + 1 });
  while (i < source.length) {
    const c = source[i]!;
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "," || c === "\ufeff") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "." && source.startsWith("...", i)) {
      tokens.push({ kind: "punct", value: "...", loc: loc(i) });
      i += 3;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", value: c, loc: loc(i) });
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i]!)) i++;
      tokens.push({ kind: "name", value: source.slice(start, i), loc: loc(start) });
      continue;
    }
    if (/[-0-9]/.test(c)) {
      const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!match) throw new GraphqlSyntaxError(`Parse error on "${c}"`, loc(i));
      tokens.push({ kind: match[2] || match[3] ? "float" : "int", value: match[0], loc: loc(i) });
      i += match[0].length;
      continue;
    }
    if (c === '"') {
      const start = loc(i);
      if (source.startsWith('"""', i)) {
        const end = source.indexOf('"""', i + 3);
        if (end < 0) throw new GraphqlSyntaxError("Unterminated block string", start);
        const raw = source.slice(i + 3, end).replaceAll('\\"""', '"""');
        for (const ch of raw) if (ch === "\n") line++;
        tokens.push({ kind: "string", value: blockString(raw), loc: start });
        i = end + 3;
        continue;
      }
      let value = "";
      i++;
      for (;;) {
        const ch = source[i];
        if (ch === undefined || ch === "\n") throw new GraphqlSyntaxError("Unterminated string", start);
        if (ch === '"') break;
        if (ch === "\\") {
          const esc = source[i + 1];
          const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
          if (esc === "u") {
            value += String.fromCharCode(Number.parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
          } else if (esc !== undefined && simple[esc] !== undefined) {
            value += simple[esc];
            i += 2;
          } else throw new GraphqlSyntaxError(`Bad escape \\${esc}`, loc(i));
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ kind: "string", value, loc: start });
      continue;
    }
    throw new GraphqlSyntaxError(`Parse error on "${c}"`, loc(i));
  }
  tokens.push({ kind: "eof", value: "", loc: loc(i) });
  return tokens;
}

/** GraphQL's block string value: common indentation removed, blank first and last lines dropped. */
function blockString(raw: string): string {
  const lines = raw.split(/\r\n|\n|\r/);
  let indent = Number.POSITIVE_INFINITY;
  for (const l of lines.slice(1)) {
    const lead = l.length - l.trimStart().length;
    if (lead < l.length) indent = Math.min(indent, lead);
  }
  const out = lines.map((l, n) => (n === 0 || !Number.isFinite(indent) ? l : l.slice(indent)));
  while (out.length && out[0]!.trim() === "") out.shift();
  while (out.length && out[out.length - 1]!.trim() === "") out.pop();
  return out.join("\n");
}

export function parse(source: string): Document {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at]!;
  const next = () => tokens[at++]!;
  const fail = (token: Token): never => {
    throw new GraphqlSyntaxError(token.kind === "eof" ? "Unexpected end of document" : `Parse error on "${token.value}" (${token.kind.toUpperCase()})`, token.loc);
  };
  const expect = (value: string) => {
    const token = next();
    if (token.kind !== "punct" || token.value !== value) fail(token);
    return token;
  };
  const name = () => {
    const token = next();
    if (token.kind !== "name") fail(token);
    return token.value;
  };
  const isPunct = (value: string) => peek().kind === "punct" && peek().value === value;

  const value = (constant: boolean): Value => {
    const token = next();
    switch (token.kind) {
      case "punct":
        if (token.value === "$" && !constant) return { kind: "variable", name: name() };
        if (token.value === "[") {
          const values: Value[] = [];
          while (!isPunct("]")) values.push(value(constant));
          next();
          return { kind: "list", values };
        }
        if (token.value === "{") {
          const fields: Record<string, Value> = {};
          while (!isPunct("}")) {
            const key = name();
            expect(":");
            fields[key] = value(constant);
          }
          next();
          return { kind: "object", fields };
        }
        return fail(token);
      case "int":
        return { kind: "int", value: Number(token.value) };
      case "float":
        return { kind: "float", value: Number(token.value) };
      case "string":
        return { kind: "string", value: token.value };
      case "name":
        if (token.value === "true" || token.value === "false") return { kind: "boolean", value: token.value === "true" };
        if (token.value === "null") return { kind: "null" };
        return { kind: "enum", value: token.value };
      default:
        return fail(token);
    }
  };

  const skipDirectives = () => {
    while (isPunct("@")) {
      next();
      name();
      if (isPunct("(")) args();
    }
  };

  const args = (): Record<string, Value> => {
    const out: Record<string, Value> = {};
    if (!isPunct("(")) return out;
    next();
    while (!isPunct(")")) {
      const key = name();
      expect(":");
      out[key] = value(false);
    }
    next();
    return out;
  };

  const selectionSet = (): Selection[] => {
    expect("{");
    const out: Selection[] = [];
    while (!isPunct("}")) {
      const start = peek();
      if (isPunct("...")) {
        next();
        if (peek().kind === "name" && peek().value !== "on") {
          out.push({ kind: "spread", name: name(), loc: start.loc });
          skipDirectives();
        } else {
          let typeCondition: string | null = null;
          if (peek().kind === "name" && peek().value === "on") {
            next();
            typeCondition = name();
          }
          skipDirectives();
          out.push({ kind: "inline", typeCondition, selections: selectionSet(), loc: start.loc });
        }
        continue;
      }
      let fieldName = name();
      let alias: string | undefined;
      if (isPunct(":")) {
        next();
        alias = fieldName;
        fieldName = name();
      }
      const fieldArgs = args();
      skipDirectives();
      const selections = isPunct("{") ? selectionSet() : null;
      out.push({ kind: "field", ...(alias ? { alias } : {}), name: fieldName, args: fieldArgs, selections, loc: start.loc });
    }
    next();
    if (out.length === 0) fail(peek());
    return out;
  };

  const typeRef = (): string => {
    let text: string;
    if (isPunct("[")) {
      next();
      text = `[${typeRef()}]`;
      expect("]");
    } else text = name();
    if (isPunct("!")) {
      next();
      text += "!";
    }
    return text;
  };

  const operations: Operation[] = [];
  const fragments = new Map<string, Fragment>();
  while (peek().kind !== "eof") {
    const start = peek();
    if (isPunct("{")) {
      operations.push({ operation: "query", name: null, variables: [], selections: selectionSet(), loc: start.loc });
      continue;
    }
    const keyword = name();
    if (keyword === "fragment") {
      const fragmentName = name();
      if (name() !== "on") fail(tokens[at - 1]!);
      const typeCondition = name();
      skipDirectives();
      fragments.set(fragmentName, { name: fragmentName, typeCondition, selections: selectionSet() });
      continue;
    }
    if (keyword !== "query" && keyword !== "mutation") fail(start);
    const opName = peek().kind === "name" ? name() : null;
    const variables: VariableDefinition[] = [];
    if (isPunct("(")) {
      next();
      while (!isPunct(")")) {
        expect("$");
        const varName = name();
        expect(":");
        const type = typeRef();
        let defaultValue: Value | undefined;
        if (isPunct("=")) {
          next();
          defaultValue = value(true);
        }
        variables.push({ name: varName, type, ...(defaultValue ? { defaultValue } : {}) });
      }
      next();
    }
    skipDirectives();
    operations.push({ operation: keyword as "query" | "mutation", name: opName, variables, selections: selectionSet(), loc: start.loc });
  }
  if (operations.length === 0) throw new GraphqlSyntaxError("The document has no operation", { line: 1, column: 1 });
  return { operations, fragments };
}

/** A literal or variable as the JavaScript value the resolver sees (enums as their names). */
export function valueOf(value: Value, variables: Record<string, unknown>): unknown {
  switch (value.kind) {
    case "variable":
      return variables[value.name];
    case "int":
    case "float":
    case "string":
    case "boolean":
    case "enum":
      return value.value;
    case "null":
      return null;
    case "list":
      return value.values.map((v) => valueOf(v, variables));
    case "object":
      return Object.fromEntries(Object.entries(value.fields).map(([k, v]) => [k, valueOf(v, variables)]));
  }
}
