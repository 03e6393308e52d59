import { z } from "zod";
import { examples } from "../examples";
import { usageCounts } from "../runs/schemas";

/** The longest range one report sums: a year and a day, so a leap year's full calendar year fits. */
export const MAX_USAGE_DAYS = 366;

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "must be a date, YYYY-MM-DD" })
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), {
    error: "must be a real calendar date",
  });

export const usageQuery = z
  .object({
    from: date.describe("First day, inclusive (UTC, YYYY-MM-DD)"),
    to: date.describe("Last day, inclusive (UTC, YYYY-MM-DD)"),
  })
  .superRefine((query, ctx) => {
    const days = (Date.parse(`${query.to}T00:00:00Z`) - Date.parse(`${query.from}T00:00:00Z`)) / 86_400_000 + 1;
    if (Number.isNaN(days)) return;
    if (days < 1) ctx.addIssue({ code: "custom", path: ["to"], message: "must not be before from" });
    else if (days > MAX_USAGE_DAYS) ctx.addIssue({ code: "custom", path: ["to"], message: `the range may span at most ${MAX_USAGE_DAYS} days` });
  });

const totals = {
  runs: z.number().int().nonnegative().describe("Runs created in the period"),
  usage: usageCounts,
  estimated_cost_usd: z.number().nonnegative(),
};

export const usageReportBody = z
  .object({
    from: z.string(),
    to: z.string(),
    ...totals,
    loaders: z.array(z.object({ loader_id: z.string(), name: z.string().nullable().describe("null for a loader deleted since"), ...totals })).describe("Per loader, costliest first"),
    days: z.array(z.object({ date: z.string(), ...totals })).describe("Every day of the range, empty ones included"),
    prices: z.object({ source: z.string(), read_on: z.string() }).describe("Where the prices come from, and when they were read"),
  })
  .meta({ examples: [examples.usageReport] });
