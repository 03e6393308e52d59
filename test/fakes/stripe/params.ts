/**
 * Stripe's form encoding: `a[b]=c` nests, `a[]=x` and `a[0]=x` both make arrays (the Node client sends indexed
 * arrays, curl users send `[]`). Readers below validate with Stripe's own error codes.
 */
import { invalidInteger, invalidRequest, parameterUnknown } from "./errors";

export type ParamValue = string | ParamValue[] | ParamObject;
export interface ParamObject {
  [key: string]: ParamValue;
}

function splitKey(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0 || !key.endsWith("]")) return [key];
  const tokens = [key.slice(0, open)];
  for (const match of key.slice(open).matchAll(/\[([^\]]*)\]/g)) tokens.push(match[1] ?? "");
  return tokens;
}

const isIndex = (token: string) => token === "" || /^\d+$/.test(token);

export function parseParams(search: URLSearchParams): ParamObject {
  const root: ParamObject = {};
  for (const [key, value] of search) {
    const tokens = splitKey(key);
    let container: ParamObject | ParamValue[] = root;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] ?? "";
      const last = i === tokens.length - 1;
      const nextIsIndex = !last && isIndex(tokens[i + 1] ?? "");
      const fresh = (): ParamValue => (last ? value : nextIsIndex ? [] : {});
      if (Array.isArray(container)) {
        const index: number = token === "" ? container.length : Number(token);
        const existing: ParamValue | undefined = container[index];
        const child: ParamValue = last || existing === undefined || typeof existing === "string" ? fresh() : existing;
        container[index] = child;
        if (typeof child === "string") break;
        container = child;
      } else {
        const existing: ParamValue | undefined = container[token];
        const child: ParamValue = last || existing === undefined || typeof existing === "string" ? fresh() : existing;
        container[token] = child;
        if (typeof child === "string") break;
        container = child;
      }
    }
  }
  return compact(root) as ParamObject;
}

/** Indexed arrays may have holes (`a[3]` without `a[0]`); Stripe reads them densely. */
function compact(value: ParamValue): ParamValue {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  const out: ParamObject = {};
  for (const [key, child] of Object.entries(value)) out[key] = compact(child);
  return out;
}

export function rejectUnknown(params: ParamObject, allowed: ReadonlySet<string>) {
  for (const key of Object.keys(params)) if (!allowed.has(key)) throw parameterUnknown(key);
}

export function readString(params: ParamObject, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalidRequest(`Invalid string: ${name}`, { param: name });
  return value === "" ? undefined : value;
}

export function parseInteger(name: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw invalidInteger(name, value);
  return Number(value);
}

export function readInteger(params: ParamObject, name: string): number | undefined {
  const value = readString(params, name);
  return value === undefined ? undefined : parseInteger(name, value);
}

export function readBoolean(params: ParamObject, name: string): boolean | undefined {
  const value = readString(params, name);
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalidRequest(`Invalid boolean: ${value}`, { param: name, code: "parameter_invalid_boolean" });
}

/** An array parameter; a bare scalar (`expand=x`) is rejected as Stripe does ("Invalid array"). */
export function readStringArray(params: ParamObject, name: string): string[] | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string"))
    throw invalidRequest("Invalid array", { param: name });
  return value as string[];
}

export interface Range {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** `created=<ts>` (exact) or `created[gt|gte|lt|lte]=<ts>`. */
export function readRange(params: ParamObject, name: string): Range | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value === "string") {
    const exact = parseInteger(name, value);
    return { gte: exact, lte: exact };
  }
  if (Array.isArray(value)) throw invalidRequest(`Invalid hash`, { param: name });
  const range: Range = {};
  for (const [key, bound] of Object.entries(value)) {
    const param = `${name}[${key}]`;
    if (key !== "gt" && key !== "gte" && key !== "lt" && key !== "lte") throw parameterUnknown(param);
    if (typeof bound !== "string") throw invalidInteger(param, JSON.stringify(bound));
    range[key] = parseInteger(param, bound);
  }
  return range;
}
