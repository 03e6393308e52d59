/**
 * Bindings, vars and secrets, validated at every entrypoint (fetch, scheduled, queue, DO) so a misconfigured
 * deployment fails loudly in one place instead of deep inside a run.
 */
import { z } from "zod";

export interface Env {
  DB: D1Database;
  WAREHOUSE: D1Database;
  EXTRACT_QUEUE: Queue<unknown>;
  RUN_TRACKER: DurableObjectNamespace<import("./engine/run-tracker").RunTracker>;
  RATE_LIMITER: DurableObjectNamespace<import("./api/middleware/rate-limiter").WorkspaceRateLimiter>;
  TOKEN_KEEPER: DurableObjectNamespace<import("./engine/token-keeper").TokenKeeper>;
  ENVIRONMENT?: string;
  ADMIN_TOKEN?: string;
  SECRETS_KEYRING?: string;
  HOST_OVERRIDES?: string;
  CHUNK_MAX_PAGES?: string;
  CHUNK_MAX_SECONDS?: string;
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
