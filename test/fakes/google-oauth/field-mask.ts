/**
 * Google's partial-response `fields` parameter (https://developers.google.com/sheets/api/guides/field-masks):
 * `a,b.c,d(e,f(g))`, `*` for everything below a point. Applied to any JSON answer of the Google fakes.
 */
export type Mask = Map<string, Mask | true>;

export function parseFieldMask(text: string): Mask {
  let at = 0;
  const parseList = (): Mask => {
    const mask: Mask = new Map();
    for (;;) {
      const start = at;
      while (at < text.length && !",()".includes(text[at]!)) at++;
      const path = text.slice(start, at).trim();
      let sub: Mask | true = true;
      if (text[at] === "(") {
        at++;
        sub = parseList();
        if (text[at] !== ")") throw new Error(`unbalanced parentheses in fields: ${text}`);
        at++;
      }
      if (path) insert(mask, path.split("."), sub);
      if (text[at] === ",") {
        at++;
        continue;
      }
      return mask;
    }
  };
  const mask = parseList();
  if (at !== text.length) throw new Error(`unexpected "${text[at]}" in fields: ${text}`);
  return mask;
}

function insert(mask: Mask, parts: string[], leaf: Mask | true): void {
  const [head, ...rest] = parts as [string, ...string[]];
  if (rest.length === 0) {
    const existing = mask.get(head);
    mask.set(head, existing && existing !== true && leaf !== true ? merge(existing, leaf) : leaf === true || existing === undefined ? leaf : existing);
    return;
  }
  let child = mask.get(head);
  if (child === true) return;
  if (!child) {
    child = new Map();
    mask.set(head, child);
  }
  insert(child, rest, leaf);
}

function merge(a: Mask, b: Mask): Mask {
  const out: Mask = new Map(a);
  for (const [key, value] of b) {
    const existing = out.get(key);
    out.set(key, existing && existing !== true && value !== true ? merge(existing, value) : value === true ? true : (existing ?? value));
  }
  return out;
}

/** The parts of `value` the mask names; arrays are masked item by item, as Google does. */
export function applyFieldMask(value: unknown, mask: Mask): unknown {
  if (Array.isArray(value)) return value.map((item) => applyFieldMask(item, mask));
  if (value === null || typeof value !== "object") return value;
  if (mask.has("*")) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of mask) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    out[key] = sub === true ? item : applyFieldMask(item, sub);
  }
  return out;
}

/** Whether the mask reaches `path` (`sheets.data`), for answers that only compute a part when it is asked for. */
export function maskReaches(mask: Mask, path: string[]): boolean {
  let at: Mask | true = mask;
  for (const part of path) {
    if (at === true || at.has("*")) return true;
    const next: Mask | true | undefined = at.get(part);
    if (next === undefined) return false;
    at = next;
  }
  return true;
}
