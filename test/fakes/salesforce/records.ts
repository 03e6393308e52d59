/** Stored record values. Datetimes are epoch milliseconds (second precision); dates are `YYYY-MM-DD` strings. */
export type FieldValue = string | number | boolean | null;
export type SfRecord = Record<string, FieldValue>;

export const DAY_MS = 86_400_000;

export function toDateString(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The REST API's datetime format: millisecond precision and a `+0000` offset without a colon. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

export function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
