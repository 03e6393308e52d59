/**
 * Schedules are standard 5-field cron in UTC (DESIGN §2). croner parses them; "5-part" mode refuses the
 * seconds and year fields it would otherwise accept, and day-of-month/day-of-week combine with OR, as in
 * POSIX cron, which is what users paste from crontab.
 */
import { Cron } from "croner";

function compile(expression: string): Cron {
  return new Cron(expression, { mode: "5-part", timezone: "UTC", paused: true, domAndDow: false });
}

/** null when valid, else a message saying what is wrong. */
export function scheduleError(expression: string): string | null {
  if (expression.trim().split(/\s+/).length !== 5) {
    return "schedule must be a 5-field cron expression (minute hour day-of-month month day-of-week), in UTC";
  }
  try {
    compile(expression);
    return null;
  } catch (error) {
    return `invalid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The first occurrence strictly after `after`, at minute precision. */
export function nextOccurrence(expression: string, after: Date): Date | null {
  return compile(expression).nextRun(after);
}
