/** The API's timestamp format: ISO 8601, UTC, second precision, `Z` (as every example in the seed). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function nowIso(): string {
  return isoSeconds(new Date());
}
