/** Entrypoint only: the API, the cron tick, the queue loop, and the Durable Object classes. */
import { createApp } from "./api/app";
import type { Env } from "./env";
import { settings } from "./env";
import { handleQueue } from "./engine/queue-handler";
import { reviveWatchdogs } from "./engine/revive";
import { runSchedulerTick } from "./scheduler/tick";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    settings(env);
    await runSchedulerTick(env, controller.scheduledTime);
    await reviveWatchdogs(env);
  },
  async queue(batch, env) {
    settings(env);
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<Env>;

export { RunTracker } from "./engine/run-tracker";
export { TokenKeeper } from "./engine/token-keeper";
export { LoaderBudget } from "./engine/loader-budget";
export { WorkspaceRateLimiter } from "./lib/workspace-rate-limiter";
