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
