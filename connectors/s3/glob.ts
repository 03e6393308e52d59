/**
 * The stream's glob over object keys (relative to the prefix): `*` any run of characters within one path segment,
 * `**` any run of characters across segments (as a whole segment it also matches none: `a/`, `**`, `/b` matches
 * `a/b`), `?` one character other than `/`, `{a,b}` either alternative (nestable), `[abc]` / `[!abc]` one character
 * of a set, `\` escapes the next character. A key is matched whole, by one anchored RegExp compiled once per read.
 */

export class GlobError extends Error {}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const escapeChar = (ch: string) => ch.replace(REGEX_SPECIAL, "\\$&");

export function globToRegExp(glob: string): RegExp {
  let i = 0;
  // Depth of open `{`: a `,` inside one separates alternatives, outside it is a plain comma.
  let braces = 0;
  let out = "";
  while (i < glob.length) {
    const ch = glob[i]!;
    if (ch === "\\") {
      if (i + 1 >= glob.length) throw new GlobError(`glob ends with a lone backslash: ${glob}`);
      out += escapeChar(glob[i + 1]!);
      i += 2;
      continue;
    }
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        const atStart = i === 0 || glob[i - 1] === "/";
        const slashAfter = glob[i + 2] === "/";
        i += 2;
        if (atStart && slashAfter) {
          // `**/` : zero or more whole segments.
          out += "(?:[^/]*/)*";
          i += 1;
        } else {
          out += ".*";
        }
        continue;
      }
      out += "[^/]*";
      i += 1;
      continue;
    }
    if (ch === "?") {
      out += "[^/]";
      i += 1;
      continue;
    }
    if (ch === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) throw new GlobError(`glob has an unclosed [: ${glob}`);
      let body = glob.slice(i + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      out += `[${negated ? "^/" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close + 1;
      continue;
    }
    if (ch === "{") {
      braces++;
      out += "(?:";
      i += 1;
      continue;
    }
    if (ch === "}" && braces > 0) {
      braces--;
      out += ")";
      i += 1;
      continue;
    }
    if (ch === "," && braces > 0) {
      out += "|";
      i += 1;
      continue;
    }
    out += escapeChar(ch);
    i += 1;
  }
  if (braces > 0) throw new GlobError(`glob has an unclosed {: ${glob}`);
  return new RegExp(`^${out}$`, "u");
}

/** The glob's error, or null when it compiles (for the config schema). */
export function globProblem(glob: string): string | null {
  try {
    globToRegExp(glob);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The part of a key a glob sees: below the prefix, without a leading slash. */
export function relativeKey(key: string, prefix: string): string {
  const rest = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  return rest.startsWith("/") ? rest.slice(1) : rest;
}

/**
 * The literal directory a glob starts with (`orders/2026/*.csv` → `orders/2026/`), added to the listing prefix so
 * that S3 lists only what can match.
 */
export function literalPrefix(glob: string): string {
  const special = glob.search(/[*?[{\\]/);
  const literal = special === -1 ? glob : glob.slice(0, special);
  return literal.slice(0, literal.lastIndexOf("/") + 1);
}
