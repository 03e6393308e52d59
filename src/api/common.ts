import type { Context } from "hono";
import { z } from "zod";
import { MAX_PAGE_SIZE, pageRequest, type PageRequest } from "../services/pagination";
import type { AppEnv } from "./types";
import { examples } from "./examples";

export const uuid = z.uuid({ error: "must be a UUID" });

export const workspaceParams = z.object({ id: z.string() });
export const loaderParams = workspaceParams.extend({ loaderId: z.string() });

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).optional(),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
});

export const timestamp = z.string().describe("ISO 8601, UTC");

export const errorBody = z.object({
  error: z.string(),
  code: z.string(),
  request_id: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).meta({ examples: [examples.error] });

export function listOf<T extends z.ZodType>(item: T) {
  return z.union([
    z.array(item),
    z.object({
      data: z.array(item),
      pagination: z.object({ page: z.number().int(), page_size: z.number().int(), total: z.number().int() }),
    }),
  ]);
}

/** Bare array unless the caller asked for a page (DESIGN §2). */
export function listResponse<T>(c: Context<AppEnv>, page: PageRequest, result: { rows: T[]; total: number }) {
  if (!page.paged) return c.json(result.rows);
  return c.json({ data: result.rows, pagination: { page: page.page, page_size: page.pageSize, total: result.total } });
}

export { pageRequest };
