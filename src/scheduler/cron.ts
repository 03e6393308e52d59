/**
 * Schedules are standard 5-field cron in UTC (DESIGN §2). croner parses them; "5-part" mode refuses the
 * seconds and year fields it would otherwise accept, and day-of-month/day-of-week combine with OR, as in
 * POSIX cron, which is what users paste from crontab.
 */
import { Cron } from "croner";

function compile(expression: string): Cron {
  return new Cron(expression, { mode: "5-part", timezone: "UTC", paused: true, domAndDow: false });
}

/**
 * A schedule must fire: one whose next occurrence is further than this (`0 0 30 2 *`, February 30th) is refused
 * rather than saved as a loader that silently never runs. Five years covers every real calendar rule, including
 * February 29th (`0 0 29 2 *`, at most four years apart).
 */
export const MAX_SCHEDULE_GAP_YEARS = 5;

/** null when valid, else a message saying what is wrong. `now` is injectable for tests. */
export function scheduleError(expression: string, now: Date = new Date()): string | null {
  if (expression.trim().split(/\s+/).length !== 5) {
    return "schedule must be a 5-field cron expression (minute hour day-of-month month day-of-week), in UTC";
  }
  let cron: Cron;
  try {
    cron = compile(expression);
  } catch (error) {
    return `invalid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
  const horizon = new Date(now);
  horizon.setUTCFullYear(horizon.getUTCFullYear() + MAX_SCHEDULE_GAP_YEARS);
  const next = cron.nextRun(now);
  if (!next || next > horizon) {
    return `schedule "${expression}" has no occurrence in the next ${MAX_SCHEDULE_GAP_YEARS} years (a date that does not exist?), so it would never run`;
  }
  return null;
}

/** The first occurrence strictly after `after`, at minute precision. */
export function nextOccurrence(expression: string, after: Date): Date | null {
  return compile(expression).nextRun(after);
}
