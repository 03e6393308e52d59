/**
 * Bindings, vars and secrets, validated at every entrypoint (fetch, scheduled, queue, DO) so a misconfigured
 * deployment fails loudly in one place instead of deep inside a run.
 */
import { z } from "zod";
import { MAX_PAGE_ROWS } from "../connectors/kit/sql-source";

/**
 * The bindings and vars of wrangler.toml come from `npm run types` (wrangler types → src/env.generated.d.ts, committed);
 * secrets and optional tunables, which wrangler.toml does not declare, are added here.
 */
export interface Env extends WranglerEnv {
  ADMIN_TOKEN?: string;
  SECRETS_KEYRING?: string;
  CHUNK_MAX_PAGES?: string;
  CHUNK_MAX_SECONDS?: string;
  LEASE_SECONDS?: string;
  WATCHDOG_SECONDS?: string;
  STALL_SECONDS?: string;
  BUDGET_MAX_WAIT_SECONDS?: string;
  RANGE_ROWS?: string;
  MAX_PAGE_ROWS?: string;
}

const keyringSchema = z.object({
  current: z.string().min(1),
  keys: z.record(z.string(), z.string().min(1)),
});

const settingsSchema = z.object({
  ENVIRONMENT: z.enum(["production", "development"]).default("production"),
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
  SECRETS_KEYRING: z
    .string({ error: "SECRETS_KEYRING is not set (see .dev.vars.example)" })
    .transform((raw, ctx) => {
      try {
        return keyringSchema.parse(JSON.parse(raw));
      } catch {
        ctx.addIssue({ code: "custom", message: 'SECRETS_KEYRING must be JSON {"current": id, "keys": {id: base64}}' });
        return z.NEVER;
      }
    }),
  /** A queue delivery reads at most this many pages / seconds before handing the stream to a fresh message. */
  CHUNK_MAX_PAGES: z.coerce.number().int().min(1).default(500),
  CHUNK_MAX_SECONDS: z.coerce.number().min(1).max(600).default(120),
  /**
   * A chunk's lease: renewed by its heartbeat (every third of it) and by every report. A lease that runs out means the
   * consumer died; the watchdog, looking every WATCHDOG_SECONDS, re-enqueues the stream from its checkpoint.
   */
  LEASE_SECONDS: z.coerce.number().min(1).max(900).default(60),
  WATCHDOG_SECONDS: z.coerce.number().min(1).max(600).default(30),
  /** A live chunk that heartbeats but reports nothing (no page, no progress heartbeat) this long is restarted. */
  STALL_SECONDS: z.coerce.number().min(1).default(600),
  /** The longest a read waits in a chunk for a shared-budget grant; a later grant ends the chunk and resumes after it. */
  BUDGET_MAX_WAIT_SECONDS: z.coerce.number().min(0).max(600).default(20),
  /**
   * A database table estimated above this many rows is read as key ranges by parallel chunks, ceil(rows / this) of
   * them (at most MAX_RANGES, run-tracker.ts). At the engine's few hundred thousand rows per 120 s chunk, 2,000,000
   * rows are a few chunks: below that a split saves little and costs a lane's messages and leases.
   */
  RANGE_ROWS: z.coerce.number().int().min(1).default(2_000_000),
  /** The most rows one statement of a database source asks for (connectors/kit/sql-source.ts nextPageRows). */
  MAX_PAGE_ROWS: z.coerce.number().int().min(10).default(MAX_PAGE_ROWS),
  HOST_OVERRIDES: z
    .string()
    .default("{}")
    .transform((raw, ctx) => {
      try {
        return z.record(z.string(), z.url()).parse(JSON.parse(raw));
      } catch {
        ctx.addIssue({ code: "custom", message: "HOST_OVERRIDES must be a JSON object of hostname → base URL" });
        return z.NEVER;
      }
    }),
});

export type Settings = z.infer<typeof settingsSchema> & { development: boolean };

const cache = new WeakMap<object, Settings>();

export class EnvironmentError extends Error {
  override readonly name = "EnvironmentError";
}

/** Parsed once per env object; HOST_OVERRIDES only ever applies in development (DESIGN §5). */
export function settings(env: Env): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new EnvironmentError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const development = parsed.data.ENVIRONMENT === "development";
  const value: Settings = { ...parsed.data, HOST_OVERRIDES: development ? parsed.data.HOST_OVERRIDES : {}, development };
  cache.set(env, value);
  return value;
}
