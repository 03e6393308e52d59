/**
 * StageLock (src/warehouses/stage-lock.ts): straight copies side by side, DDL and the records' way alone, in the
 * order asked for.
 */
import { describe, expect, it } from "vitest";
import { StageLock } from "../../src/warehouses/stage-lock";

/** A section that logs its start and end, and ends when `release` is called. */
function section(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    release,
    work: async () => {
      log.push(`${name} start`);
      await done;
      log.push(`${name} end`);
      return name;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("StageLock", () => {
  it("runs shared sections side by side, an exclusive one alone after them, and later shared ones after it", async () => {
    const lock = new StageLock();
    const log: string[] = [];
    const a = section(log, "a");
    const b = section(log, "b");
    const x = section(log, "x");
    const c = section(log, "c");
    const results = [lock.shared(a.work), lock.shared(b.work), lock.exclusive(x.work), lock.shared(c.work)];
    await settle();
    expect(log).toEqual(["a start", "b start"]);
    a.release();
    await settle();
    expect(log).toEqual(["a start", "b start", "a end"]);
    b.release();
    await settle();
    expect(log).toEqual(["a start", "b start", "a end", "b end", "x start"]);
    x.release();
    await settle();
    expect(log.slice(-2)).toEqual(["x end", "c start"]);
    c.release();
    expect(await Promise.all(results)).toEqual(["a", "b", "x", "c"]);
  });

  it("keeps exclusive sections in order, and a failed one does not hold the lock", async () => {
    const lock = new StageLock();
    const log: string[] = [];
    const failed = lock.exclusive(async () => {
      log.push("first");
      throw new Error("DDL failed");
    });
    const second = lock.exclusive(async () => {
      log.push("second");
      return 2;
    });
    const shared = lock.shared(async () => {
      log.push("shared");
      return 3;
    });
    await expect(failed).rejects.toThrow("DDL failed");
    expect([await second, await shared]).toEqual([2, 3]);
    expect(log).toEqual(["first", "second", "shared"]);
  });
});
