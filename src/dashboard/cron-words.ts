/**
 * A cron expression in words and its next five times, for the schedule step: validated by the scheduler's own
 * parser (src/scheduler/cron.ts), so what the page accepts is exactly what the API accepts. The wording covers the
 * shapes people write (every N minutes, hourly at :MM, daily/weekly/monthly at a time); anything else falls back
 * to the fields themselves rather than a guess.
 */
import { nextOccurrence, scheduleError } from "../scheduler/cron";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export type ScheduleDescription = { valid: true; words: string; next: string[] } | { valid: false; error: string };

const isNumber = (field: string) => /^\d+$/.test(field);
const pad = (n: string) => n.padStart(2, "0");

function listOf(field: string, names: string[], offset = 0): string | null {
  if (!/^\d+(,\d+)*$/.test(field)) return null;
  return field
    .split(",")
    .map((n) => names[Number(n) - offset] ?? n)
    .join(", ");
}

export function scheduleInWords(expression: string): string {
  const [minute = "", hour = "", dom = "", month = "", dow = ""] = expression.trim().split(/\s+/);
  const every = minute.match(/^\*\/(\d+)$/);
  const anyDay = dom === "*" && month === "*" && dow === "*";
  if (minute === "*" && hour === "*" && anyDay) return "Every minute";
  if (every && hour === "*" && anyDay) return `Every ${every[1]} minutes`;
  if (isNumber(minute) && hour === "*" && anyDay) return `Every hour at minute ${Number(minute)}`;
  const everyHours = hour.match(/^\*\/(\d+)$/);
  if (isNumber(minute) && everyHours && anyDay) return `Every ${everyHours[1]} hours at minute ${Number(minute)}`;
  if (isNumber(minute) && isNumber(hour)) {
    const time = `${pad(hour)}:${pad(minute)} UTC`;
    if (anyDay) return `Every day at ${time}`;
    const days = listOf(dow.replace(/\b7\b/g, "0"), DAYS);
    if (dom === "*" && month === "*" && days) return `Every ${days} at ${time}`;
    if (dow === "1-5" && dom === "*" && month === "*") return `Every weekday at ${time}`;
    if (isNumber(dom) && month === "*" && dow === "*") return `On day ${Number(dom)} of every month at ${time}`;
    const months = listOf(month, MONTHS, 1);
    if (isNumber(dom) && months && dow === "*") return `On ${months} ${Number(dom)} at ${time}`;
  }
  return `minute ${minute}, hour ${hour}, day of month ${dom}, month ${month}, day of week ${dow} (UTC)`;
}

export function describeSchedule(expression: string, from: Date): ScheduleDescription {
  const error = scheduleError(expression);
  if (error) return { valid: false, error };
  const next: string[] = [];
  let after = from;
  for (let i = 0; i < 5; i++) {
    const at = nextOccurrence(expression, after);
    if (!at) break;
    next.push(at.toISOString().replace(/\.\d+Z$/, "Z"));
    after = at;
  }
  if (next.length === 0) return { valid: false, error: "this schedule never fires" };
  return { valid: true, words: scheduleInWords(expression), next };
}
