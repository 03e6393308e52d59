/**
 * Where a request may go (DESIGN §5). Production: only https:// to public hosts, so a user-supplied base_url or an
 * API-supplied next link cannot reach loopback or private networks. Development (`ENVIRONMENT=development`, tests and
 * the local demo): http and loopback are allowed, and HOST_OVERRIDES sends a production hostname to a local fake.
 */
import { ConnectorError } from "./errors";

export interface HostPolicy {
  development: boolean;
  /** Production hostname (or host:port) → base URL of a local server; honoured only in development. */
  hostOverrides?: Record<string, string>;
}

/** Parses the HOST_OVERRIDES variable; a malformed value is a deployment mistake, so it fails loudly. */
export function hostOverridesFromJson(text: string | undefined): Record<string, string> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConnectorError("configuration", "HOST_OVERRIDES is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConnectorError("configuration", "HOST_OVERRIDES must be a JSON object of hostname → base URL");
  }
  const overrides: Record<string, string> = {};
  for (const [host, base] of Object.entries(parsed)) {
    if (typeof base !== "string" || !URL.canParse(base)) {
      throw new ConnectorError("configuration", `HOST_OVERRIDES["${host}"] must be an absolute URL`);
    }
    overrides[host.toLowerCase()] = base;
  }
  return overrides;
}

/** The URL actually fetched for a URL the connector addressed; throws ConnectorError("configuration") when not allowed. */
export function resolveTarget(url: URL, policy: HostPolicy): URL {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConnectorError("configuration", `only http(s) URLs can be requested, not ${url.protocol}`);
  }
  if (policy.development) {
    const base = overrideFor(url, policy.hostOverrides);
    return base === undefined ? url : applyOverride(url, new URL(base));
  }
  if (url.protocol !== "https:") {
    throw new ConnectorError("configuration", `${url.host} must be reached over https:// (http is allowed only in development mode)`);
  }
  if (isPrivateHost(url.hostname)) {
    throw new ConnectorError("configuration", `${url.hostname} is a loopback or private address; only public hosts can be reached`);
  }
  return url;
}

/**
 * The override for a URL: an exact key (`api.stripe.com`, or with its port) wins; else the wildcard key
 * `*.<suffix>` with the longest suffix the host ends in after a dot (`*.myshopify.com` serves `shop1.myshopify.com`
 * and `a.b.myshopify.com`, never `myshopify.com` itself or `myshopify.com.evil.com`), so one fake serves every shop,
 * bucket or datacenter of an API.
 */
export function overrideFor(url: URL, overrides: Record<string, string> | undefined): string | undefined {
  if (!overrides) return undefined;
  const exact = overrides[url.host] ?? overrides[url.hostname];
  if (exact !== undefined) return exact;
  for (const host of [url.host, url.hostname]) {
    // Walk the host's parent domains from the longest: the most specific wildcard answers first.
    for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
      const wildcard = overrides[`*${host.slice(dot)}`];
      if (wildcard !== undefined) return wildcard;
    }
  }
  return undefined;
}

function applyOverride(url: URL, base: URL): URL {
  const prefix = base.pathname.replace(/\/+$/, "");
  return new URL(`${base.origin}${prefix}${url.pathname}${url.search}`);
}

/**
 * Hostnames that name this machine or a private network. Workers cannot resolve DNS ahead of a fetch, so a public
 * name pointing at a private address is not caught here; Cloudflare's edge does not route to private ranges anyway.
 * The WHATWG URL parser has already normalised numeric IPv4 spellings (`2130706433`, `0x7f.1`) to dotted quads.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (host === "localhost" || /\.(localhost|local|internal)$/.test(host)) return true;
  const v4 = parseIPv4(host);
  if (v4) return isPrivateIPv4(v4);
  const v6 = parseIPv6(host);
  if (v6) return isPrivateIPv6(v6);
  return false;
}

function parseIPv4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function isPrivateIPv4([a = 0, b = 0]: number[]): boolean {
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, including cloud metadata endpoints
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast and reserved
  );
}

/** Eight 16-bit groups, or undefined when `host` is not an IPv6 literal. */
function parseIPv6(host: string): number[] | undefined {
  if (!host.includes(":")) return undefined;
  const [head = "", tail, extra] = host.split("::");
  if (extra !== undefined) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const expand = (parts: string[]) =>
    parts.flatMap((p) => {
      const v4 = parseIPv4(p);
      return v4 ? [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!] : [/^[0-9a-f]{1,4}$/.test(p) ? parseInt(p, 16) : NaN];
    });
  const left = expand(groups(head));
  const right = tail === undefined ? [] : expand(groups(tail));
  const fill = 8 - left.length - right.length;
  if (tail === undefined ? fill !== 0 : fill < 1) return undefined;
  const all = [...left, ...new Array<number>(fill).fill(0), ...right];
  return all.some(Number.isNaN) ? undefined : all;
}

function isPrivateIPv6(g: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embeddedV4 = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return true; // :: and ::1
    if (g5 === 0xffff || g5 === 0) return isPrivateIPv4(embeddedV4); // IPv4-mapped / -compatible
  }
  if (g0 === 0x64 && g1 === 0xff9b) return isPrivateIPv4(embeddedV4); // NAT64 well-known prefix
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xff00) === 0xff00; // ULA, link-local, multicast
}
