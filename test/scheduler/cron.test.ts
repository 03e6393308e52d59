/** Schedules must fire (issue 16 item 10): a cron with no occurrence in five years is refused at save time. */
import { describe, expect, it } from "vitest";
import { MAX_SCHEDULE_GAP_YEARS, scheduleError } from "../../src/scheduler/cron";
import { as, bootstrapWorkspace, createD1Source, expectError, seedLoaderBody } from "../helpers/api";

describe("schedules that never fire", () => {
  it("refuses dates that do not exist, accepts rare ones", () => {
    const now = new Date("2026-03-01T00:00:00Z");
    expect(scheduleError("0 0 30 2 *", now)).toContain(`next ${MAX_SCHEDULE_GAP_YEARS} years`);
    expect(scheduleError("0 0 31 4 *", now)).toContain("never run");
    expect(scheduleError("0 0 31 2,4,6,9,11 *", now)).toContain("never run");
    // February 29th: next in 2028, within five years.
    expect(scheduleError("0 0 29 2 *", now)).toBeNull();
    expect(scheduleError("0 */6 * * *", now)).toBeNull();
    // Day of month OR day of week (POSIX cron): Feb 30 or any Monday fires every week.
    expect(scheduleError("0 0 30 2 1", now)).toBeNull();
  });

  it("answers 400 on create and update, and writes nothing", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const refused = await as(owner)("/loaders", { method: "POST", body: { ...seedLoaderBody(sourceId), schedule: "0 0 30 2 *" } });
    expectError(refused, 400, "validation_failed");
    expect(refused.json.details).toEqual([{ path: "schedule", message: expect.stringContaining("no occurrence") }]);
    expect((await as(owner)("/loaders")).json).toEqual([]);

    const loader = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).json;
    expectError(await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { schedule: "0 0 30 2 *" } }), 400, "validation_failed");
    expect((await as(owner)(`/loaders/${loader.id}`)).json.schedule).toBe("0 */6 * * *");
  });
});
