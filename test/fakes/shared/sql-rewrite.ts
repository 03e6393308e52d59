/**
 * Token rewrites the three warehouse fakes share: matching parentheses, replacing a function call by a DuckDB
 * expression, renaming type words, numbering parameters. Each works on the token list of shared/duckdb.ts.
 */
import { SqlRefusal, type Token, significant } from "./duckdb";

/** Index of the `)` closing the `(` at `open`. */
export function closingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = (tokens[i] as Token).text;
    if ((tokens[i] as Token).kind !== "symbol") continue;
    if (t === "(") depth += 1;
    else if (t === ")") {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new SqlRefusal("unbalanced parentheses");
}

/** Splits the tokens between `(` at `open` and its `)` into top-level comma-separated argument token lists. */
export function callArguments(tokens: Token[], open: number): { args: Token[][]; close: number } {
  const close = closingParen(tokens, open);
  const args: Token[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i] as Token;
    if (t.kind === "symbol" && t.text === "(") depth += 1;
    if (t.kind === "symbol" && t.text === ")") depth -= 1;
    if (depth === 0 && t.kind === "symbol" && t.text === ",") args.push([]);
    else (args[args.length - 1] as Token[]).push(t);
  }
  return { args: args.length === 1 && args[0]!.every((t) => t.kind === "space") ? [] : args, close };
}

export const raw = (text: string): Token => ({ kind: "symbol", text });
export const text = (tokens: Token[]): string => tokens.map((t) => t.text).join("").trim();

/**
 * Replaces every call of `name` (case-insensitive) by `build(args)`, innermost first so arguments are already
 * rewritten. `build` answers the replacement text, or throws SqlRefusal for an argument shape it does not know.
 */
export function rewriteCalls(tokens: Token[], name: string, build: (args: string[]) => string): Token[] {
  let out = tokens;
  for (;;) {
    const idx = significant(out);
    let found = -1;
    for (let k = idx.length - 2; k >= 0; k--) {
      const t = out[idx[k] as number] as Token;
      if (t.kind === "word" && t.text.toUpperCase() === name && (out[idx[k + 1] as number] as Token).text === "(") {
        found = k;
        break;
      }
    }
    if (found < 0) return out;
    const start = idx[found] as number;
    const open = idx[found + 1] as number;
    const { args, close } = callArguments(out, open);
    const replacement = build(args.map(text));
    out = [...out.slice(0, start), raw(replacement), ...out.slice(close + 1)];
  }
}

/** Renames bare (unquoted) words: type names, session keywords. */
export function renameWords(tokens: Token[], names: Record<string, string>): Token[] {
  return tokens.map((t) => (t.kind === "word" && names[t.text.toUpperCase()] !== undefined ? raw(names[t.text.toUpperCase()] as string) : t));
}

/** `?` → `$1`, `$2`, … in order of appearance; answers the count. */
export function numberPositional(tokens: Token[]): { tokens: Token[]; count: number } {
  let n = 0;
  return {
    tokens: tokens.map((t) => (t.kind === "param" && t.text === "?" ? raw(`$${++n}`) : t)),
    count: n,
  };
}
