/**
 * PostgreSQL's COPY text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"), read by the
 * PostgreSQL source's page reads and by the PostgreSQL warehouse's copy of them (src/warehouses/postgresql/copy-text.ts).
 */

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/**
 * One field of COPY's text format without its backslash escapes: `\b \f \n \r \t \v`, octal `\NNN`, hex `\xHH`,
 * and a backslash before any other character stands for that character (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Text Format"). COPY TO itself writes only the named ones and `\\`.
 */
export function unescapeCopyText(field: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const slash = field.indexOf("\\", at);
    if (slash < 0) return out + field.slice(at);
    out += field.slice(at, slash);
    const next = field[slash + 1];
    if (next === undefined) return `${out}\\`;
    const named = ESCAPES[next];
    if (named !== undefined) {
      out += named;
      at = slash + 2;
    } else if (next >= "0" && next <= "7") {
      let end = slash + 1;
      while (end < slash + 4 && field[end]! >= "0" && field[end]! <= "7") end++;
      out += String.fromCharCode(parseInt(field.slice(slash + 1, end), 8) & 0xff);
      at = end;
    } else if (next === "x" && /[0-9a-fA-F]/.test(field[slash + 2] ?? "")) {
      const end = /[0-9a-fA-F]/.test(field[slash + 3] ?? "") ? slash + 4 : slash + 3;
      out += String.fromCharCode(parseInt(field.slice(slash + 2, end), 16));
      at = end;
    } else {
      out += next;
      at = slash + 2;
    }
  }
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000 (SQLSTATE 22P05); sources occasionally send it. It is dropped — from
 * JSON text only where it is an escape, not where a backslash before it is itself escaped.
 */
export function withoutNulEscapes(json: string): string {
  if (!json.includes("\\u0000")) return json;
  return json.replace(/((?:^|[^\\])(?:\\\\)*)\\u0000/g, "$1");
}

const COPY_SPECIAL = /[\\\n\r\t\0]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "" };

/** A text cell in COPY's text format: backslash, newline, carriage return and tab escaped, NUL dropped (see above). */
export function escapeCopyText(text: string): string {
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\n\r\t\0]/g, (c) => COPY_ESCAPES[c]!) : text;
}
