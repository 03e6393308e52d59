import { isoSeconds } from "../../lib/time";
import { nextOccurrence } from "../../scheduler/cron";

/** next_run_at for an active scheduled loader: the first occurrence after `from`; null means manual only. */
export function nextRunAt(schedule: string | null, from: Date): string | null {
  if (!schedule) return null;
  const next = nextOccurrence(schedule, from);
  return next ? isoSeconds(next) : null;
}
