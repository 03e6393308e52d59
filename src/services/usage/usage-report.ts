/**
 * The usage report (issue 15 item 7): a workspace's runs created between two UTC dates, their usage summed for the
 * workspace, per loader and per day, and priced with the same table as each run (engine/usage.ts). Runs are read
 * from loader_runs by the (workspace_id, created_at) index; their usage counts are JSON, summed here.
 */
import { and, eq, gte, lt } from "drizzle-orm";
import { loaderRuns, loaders } from "../../db/schema";
import { CLOUDFLARE_PRICES, type RunUsage, addUsage, emptyUsage, estimatedCostUsd, parseUsage } from "../../engine/usage";
import { isoSeconds } from "../../lib/time";
import type { ServiceContext } from "../context";

export interface UsageTotal {
  runs: number;
  usage: RunUsage;
  estimated_cost_usd: number;
}

export interface UsageReport extends UsageTotal {
  from: string;
  to: string;
  loaders: Array<UsageTotal & { loader_id: string; name: string | null }>;
  days: Array<UsageTotal & { date: string }>;
  prices: { source: string; read_on: string };
}

const DAY_MS = 86_400_000;

function total(): { runs: number; usage: RunUsage } {
  return { runs: 0, usage: emptyUsage() };
}

function priced<T extends { runs: number; usage: RunUsage }>(sum: T): T & { estimated_cost_usd: number } {
  return { ...sum, estimated_cost_usd: estimatedCostUsd(sum.usage) };
}

/** `from` and `to` are inclusive UTC dates (YYYY-MM-DD), already validated; every day in between gets a row. */
export async function usageReport(ctx: ServiceContext, workspaceId: string, from: string, to: string): Promise<UsageReport> {
  const start = `${from}T00:00:00Z`;
  const end = isoSeconds(new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS));
  const rows = await ctx.db
    .select({ loaderId: loaderRuns.loaderId, createdAt: loaderRuns.createdAt, usage: loaderRuns.usage, name: loaders.name })
    .from(loaderRuns)
    .leftJoin(loaders, eq(loaders.id, loaderRuns.loaderId))
    .where(and(eq(loaderRuns.workspaceId, workspaceId), gte(loaderRuns.createdAt, start), lt(loaderRuns.createdAt, end)));

  const workspace = total();
  const perLoader = new Map<string, { loader_id: string; name: string | null; runs: number; usage: RunUsage }>();
  const perDay = new Map<string, { date: string; runs: number; usage: RunUsage }>();
  for (let at = Date.parse(start); at < Date.parse(end); at += DAY_MS) {
    const date = new Date(at).toISOString().slice(0, 10);
    perDay.set(date, { date, ...total() });
  }
  for (const row of rows) {
    const usage = parseUsage(row.usage);
    const loader = perLoader.get(row.loaderId) ?? { loader_id: row.loaderId, name: row.name, ...total() };
    perLoader.set(row.loaderId, loader);
    const day = perDay.get(row.createdAt.slice(0, 10));
    for (const sum of [workspace, loader, day]) {
      if (!sum) continue;
      sum.runs += 1;
      addUsage(sum.usage, usage);
    }
  }
  return {
    from,
    to,
    ...priced(workspace),
    loaders: [...perLoader.values()].map(priced).sort((a, b) => b.estimated_cost_usd - a.estimated_cost_usd || b.usage.rows_written - a.usage.rows_written),
    days: [...perDay.values()].map(priced),
    prices: { source: CLOUDFLARE_PRICES.source, read_on: CLOUDFLARE_PRICES.read_on },
  };
}
