/** pollUntilDone (src/warehouses/polling.ts): one submission, polls with a doubling delay, bounded, abortable. */
import { describe, expect, it } from "vitest";
import { pollUntilDone } from "../../src/warehouses/polling";

interface Status {
  id: string;
  state: "RUNNING" | "SUCCEEDED";
  polls: number;
}

/** A statement that finishes after `after` polls, on a clock that only the sleeps advance. */
function statement(after: number) {
  let now = 0;
  const sleeps: number[] = [];
  let submissions = 0;
  return {
    sleeps,
    get submissions() {
      return submissions;
    },
    options: {
      submit: async (): Promise<Status> => {
        submissions += 1;
        return { id: "01b2-stmt", state: "RUNNING", polls: 0 };
      },
      poll: async (last: Status): Promise<Status> => ({ ...last, polls: last.polls + 1, state: last.polls + 1 >= after ? "SUCCEEDED" : "RUNNING" }),
      done: (s: Status) => s.state === "SUCCEEDED",
      describe: (s: Status) => `Snowflake statement ${s.id}`,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      now: () => now,
    },
  };
}

describe("pollUntilDone", () => {
  it("submits once and polls with a doubling delay up to its cap until the statement is done", async () => {
    const s = statement(6);
    const result = await pollUntilDone({ ...s.options, initialDelayMs: 100, maxDelayMs: 1000 });
    expect(result).toMatchObject({ state: "SUCCEEDED", polls: 6 });
    expect(s.submissions).toBe(1);
    expect(s.sleeps).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("gives up at its bound with a retryable error naming the statement, and cancels it", async () => {
    const s = statement(1_000);
    const cancelled: string[] = [];
    const failure = pollUntilDone({ ...s.options, maxWaitMs: 5_000, initialDelayMs: 500, maxDelayMs: 2_000, cancel: async (last) => void cancelled.push(last.id) });
    await expect(failure).rejects.toMatchObject({ name: "WarehouseError", kind: "retryable", message: expect.stringContaining("Snowflake statement 01b2-stmt was still running after 5 s") });
    expect(s.sleeps.reduce((a, b) => a + b, 0)).toBe(5_000);
    expect(cancelled).toEqual(["01b2-stmt"]);
  });

  it("stops waiting when the chunk's signal aborts, before submitting or between polls", async () => {
    const before = new AbortController();
    before.abort();
    const idle = statement(3);
    await expect(pollUntilDone({ ...idle.options, signal: before.signal })).rejects.toMatchObject({ kind: "retryable", message: expect.stringContaining("aborted") });
    expect(idle.submissions).toBe(0);

    const during = new AbortController();
    const s = statement(1_000);
    const failure = pollUntilDone({
      ...s.options,
      signal: during.signal,
      poll: async (last) => {
        if (last.polls === 2) during.abort();
        return s.options.poll(last);
      },
    });
    await expect(failure).rejects.toMatchObject({ kind: "retryable", message: expect.stringContaining("Snowflake statement 01b2-stmt") });
    expect(s.sleeps).toHaveLength(3);
  });
});
