/**
 * GET …/usage (issue 15 item 7): the runs' usage summed per workspace, per loader and per day, the estimate priced
 * from the sums; bad ranges refused; another workspace's runs never counted, its key refused here; members may read.
 */
import { describe, expect, it } from "vitest";
import { USAGE_FIELDS, estimatedCostUsd, type RunUsage } from "../../src/engine/usage";
import { as, bootstrapWorkspace, call, createD1Source, createKey, expectError } from "../helpers/api";
import { createRestLoader, fakeControl, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";

const sum = (usages: RunUsage[]) => Object.fromEntries(USAGE_FIELDS.map((f) => [f, usages.reduce((total, u) => total + u[f], 0)])) as unknown as RunUsage;
const today = () => new Date().toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe("usage report", () => {
  it("sums two runs of one loader and one of another, per workspace, loader and day; members read it; other workspaces see none of it", async () => {
    const owner = await bootstrapWorkspace();
    const other = await bootstrapWorkspace("Other");
    const member = await createKey(owner, "member");
    const sourceId = await createD1Source(owner);
    const loaders = [];
    for (const [prefix, count] of [["usage_a", 230], ["usage_b", 120]] as const) {
      const tenant = uniqueName(prefix);
      await fakeControl(tenant, "seed", { count });
      loaders.push(
        await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
          name: prefix,
          target_schema: uniqueName("raw"),
        }),
      );
    }
    const [a, b] = loaders;
    const runsA = [await triggerAndWait(owner, a.id), await triggerAndWait(owner, a.id)];
    const runsB = [await triggerAndWait(owner, b.id)];
    for (const run of [...runsA, ...runsB]) expect(run.status).toBe("completed");

    const from = dayOffset(-1);
    const to = today();
    const res = await as(member)(`/usage?from=${from}&to=${to}`);
    expect(res.status, res.text).toBe(200);
    const report = res.json;
    const all = sum([...runsA, ...runsB].map((r) => r.usage));
    expect(report).toMatchObject({ from, to, runs: 3, usage: all, prices: { source: expect.stringContaining("developers.cloudflare.com"), read_on: expect.any(String) } });
    expect(report.usage.rows_written).toBe(230 * 2 + 120);
    expect(report.estimated_cost_usd).toBeCloseTo(estimatedCostUsd(all), 8);
    expect(report.estimated_cost_usd).toBeGreaterThan(0);

    const byLoader = new Map(report.loaders.map((l: any) => [l.loader_id, l]));
    expect(byLoader.get(a.id)).toMatchObject({ name: "usage_a", runs: 2, usage: sum(runsA.map((r) => r.usage)) });
    expect(byLoader.get(b.id)).toMatchObject({ name: "usage_b", runs: 1, usage: sum(runsB.map((r) => r.usage)) });
    // Every day of the range has a row; the runs all fall on the day they were created.
    expect(report.days.map((d: any) => d.date)).toEqual([from, to]);
    const runDays = new Set([...runsA, ...runsB].map((r) => r.created_at.slice(0, 10)));
    expect(report.days.filter((d: any) => d.runs > 0).map((d: any) => d.date)).toEqual([...runDays].sort());
    expect(report.days.reduce((n: number, d: any) => n + d.runs, 0)).toBe(3);

    const theirs = await as(other)(`/usage?from=${from}&to=${to}`);
    expect(theirs.status).toBe(200);
    expect(theirs.json).toMatchObject({ runs: 0, loaders: [], estimated_cost_usd: 0 });
    expect(theirs.json.usage.rows_written).toBe(0);
    // Their key on this workspace's path: refused by the workspace check every route has (a key belongs to one workspace).
    expectError(await call(`/api/v1/workspaces/${owner.workspaceId}/usage?from=${from}&to=${to}`, { key: other.key, workspace: owner.workspaceId }), 403, "forbidden");
    expect((await call(`/api/v1/workspaces/${owner.workspaceId}/usage?from=${from}&to=${to}`)).status).toBe(401);
  }, 120_000);

  it("refuses bad dates, a reversed range and a range over 366 days with a 400 naming the parameter", async () => {
    const owner = await bootstrapWorkspace();
    const cases: Array<[string, string]> = [
      ["", "from"],
      ["?from=2026-01-01", "to"],
      ["?from=2026-13-01&to=2026-12-31", "from"],
      ["?from=2026-02-30&to=2026-03-01", "from"],
      ["?from=yesterday&to=2026-03-01", "from"],
      ["?from=2026-03-02&to=2026-03-01", "to"],
      ["?from=2025-01-01&to=2026-01-02", "to"],
    ];
    for (const [query, path] of cases) {
      const res = await as(owner)(`/usage${query}`);
      expectError(res, 400, "validation_failed");
      expect(res.json.details.map((d: any) => d.path), query).toContain(path);
    }
    // 366 days is the longest range.
    expect((await as(owner)("/usage?from=2024-01-01&to=2024-12-31")).status).toBe(200);
  });
});
