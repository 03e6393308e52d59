/** Entrypoint only: the API, the cron tick, the queue loop, and the Durable Object classes. */
import { createApp } from "./api/app";
import type { Env } from "./env";
import { settings } from "./env";
import { DEAD_LETTER_SUFFIX, handleQueue } from "./engine/queue-handler";
import { reviveWatchdogs } from "./engine/revive";
import { handleStartMessages, isStartMessage } from "./scheduler/start-messages";
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
    // Run starts (the tick's hand-off) and extract chunks share the queue; each kind goes to its own handler.
    const starts = batch.messages.filter((msg) => isStartMessage(msg.body));
    if (starts.length > 0) await handleStartMessages(starts, env, batch.queue.endsWith(DEAD_LETTER_SUFFIX));
    if (starts.length === batch.messages.length) return;
    const extracts = batch.messages.filter((msg) => !isStartMessage(msg.body));
    const rest: MessageBatch<unknown> =
      starts.length === 0
        ? batch
        : { ...batch, queue: batch.queue, messages: extracts, ackAll: () => extracts.forEach((msg) => msg.ack()), retryAll: (options) => extracts.forEach((msg) => msg.retry(options)) };
    await handleQueue(rest, env);
  },
} satisfies ExportedHandler<Env>;

export { RunTracker } from "./engine/run-tracker";
export { TokenKeeper } from "./engine/token-keeper";
export { LoaderBudget } from "./engine/loader-budget";
export { WorkspaceRateLimiter } from "./lib/workspace-rate-limiter";
