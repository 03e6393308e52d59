/**
 * RFC 8288 `Link` header parsing, enough for `rel="next"` pagination (GitHub, Shopify REST, many others). Written as
 * a small scanner rather than a split on "," because commas and semicolons may appear inside `<…>` URIs and in
 * quoted parameter values, and several Link headers arrive joined by ", ".
 */

export interface LinkValue {
  uri: string;
  /** Parameter names lower-cased; the first occurrence of a name wins (RFC 8288 §3). */
  params: Record<string, string>;
}

export function parseLinkHeader(header: string | null): LinkValue[] {
  if (!header) return [];
  const links: LinkValue[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < header.length && /\s/.test(header[i]!)) i++;
  };
  while (i < header.length) {
    skipSpace();
    if (header[i] === ",") {
      i++;
      continue;
    }
    if (header[i] !== "<") {
      i = skipPast(header, i, ",");
      continue;
    }
    const close = header.indexOf(">", i + 1);
    if (close === -1) break;
    const link: LinkValue = { uri: header.slice(i + 1, close).trim(), params: {} };
    i = close + 1;
    for (;;) {
      skipSpace();
      if (header[i] !== ";") break;
      i++;
      skipSpace();
      const nameStart = i;
      while (i < header.length && !/[\s=;,]/.test(header[i]!)) i++;
      const name = header.slice(nameStart, i).toLowerCase();
      skipSpace();
      let value = "";
      if (header[i] === "=") {
        i++;
        skipSpace();
        [value, i] = header[i] === '"' ? readQuoted(header, i) : readToken(header, i);
      }
      if (name && !(name in link.params)) link.params[name] = value;
    }
    links.push(link);
    i = skipPast(header, i, ",");
  }
  return links;
}

/** The target of the first link whose space-separated `rel` includes `rel` (case-insensitive), or undefined. */
export function findLink(header: string | null, rel: string): string | undefined {
  const wanted = rel.toLowerCase();
  return parseLinkHeader(header).find((link) => (link.params.rel ?? "").toLowerCase().split(/\s+/).includes(wanted))?.uri;
}

function readQuoted(text: string, start: number): [string, number] {
  let value = "";
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === "\\" && i + 1 < text.length) i++;
    value += text[i];
    i++;
  }
  return [value, i + 1];
}

function readToken(text: string, start: number): [string, number] {
  let i = start;
  while (i < text.length && !/[;,]/.test(text[i]!)) i++;
  return [text.slice(start, i).trim(), i];
}

/** Index just after the next `char` outside quotes, or the end of the text. */
function skipPast(text: string, start: number, char: string): number {
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '"' && text[i - 1] !== "\\") quoted = !quoted;
    else if (text[i] === char && !quoted) return i + 1;
  }
  return text.length;
}
