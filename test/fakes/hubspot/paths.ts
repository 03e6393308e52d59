/**
 * HubSpot serves the same CRM APIs under two path schemes (research §2 "Base URL / version"):
 * numbered `/crm/v3/objects/contacts` and date-versioned `/crm/objects/2026-03/contacts`.
 * Both map to one route here; the version is kept so the request log can show which one a client used.
 */

export type ApiName = "objects" | "owners" | "properties" | "pipelines" | "associations";

export interface ApiRoute {
  api: ApiName;
  version: string;
  /** Path segments after the version, trailing slash dropped (the Node client calls `/crm/v3/owners/`). */
  rest: string[];
}

/** Numbered versions HubSpot serves per API; associations moved to v4, the rest are v3. */
const NUMBERED: Readonly<Record<ApiName, string>> = {
  objects: "v3",
  owners: "v3",
  properties: "v3",
  pipelines: "v3",
  associations: "v4",
};

/** Date versions released so far (March and September cadence; 2025-09 was the beta). */
const DATED = new Set(["2025-09", "2026-03", "2026-09"]);

const isApi = (name: string | undefined): name is ApiName => name !== undefined && name in NUMBERED;

export function parseApiPath(pathname: string): ApiRoute | null {
  const segments = pathname.split("/").slice(1);
  if (segments[segments.length - 1] === "") segments.pop();
  const [root, first, second, ...rest] = segments;
  if (root !== "crm" || first === undefined || second === undefined) return null;
  if (isApi(second) && NUMBERED[second] === first) return { api: second, version: first, rest };
  if (isApi(first) && DATED.has(second)) return { api: first, version: second, rest };
  return null;
}
