/**
 * The queue loop: the only place that decides ack, retry with delay, or (by exhausting max_retries) dead-letter.
 * Each message is acked or retried on its own, so one failing chunk never redelivers its batch neighbours.
 */
import { settings, type Env } from "../env";
import { log } from "../lib/log";
import { type EngineDeps, engineDeps } from "./deps";
import { runTracker } from "./dispatch";
import { extractChunk } from "./extract-chunk";
import { extractMessage } from "./messages";
import { retryDelaySeconds } from "./retry-delay";
import { handleStartMessages, isStartMessage } from "../scheduler/start-messages";

export const DEAD_LETTER_SUFFIX = "-dlq";

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, deps: EngineDeps = engineDeps): Promise<void> {
  const { CHUNK_MAX_PAGES, CHUNK_MAX_SECONDS } = settings(env);
  const budget = { maxPages: CHUNK_MAX_PAGES, maxMilliseconds: CHUNK_MAX_SECONDS * 1000 };
  const deadLetter = batch.queue.endsWith(DEAD_LETTER_SUFFIX);
  // Run starts (the tick's hand-off, scheduler/start-messages.ts) share the queue with extract chunks.
  const starts = batch.messages.filter((msg) => isStartMessage(msg.body));
  if (starts.length > 0) await handleStartMessages(starts, env, deadLetter);
  for (const msg of batch.messages) {
    if (isStartMessage(msg.body)) continue;
    const parsed = extractMessage.safeParse(msg.body);
    if (!parsed.success) {
      log("error", "malformed queue message dropped", { queue: batch.queue, id: msg.id });
      msg.ack();
      continue;
    }
    const message = parsed.data;
    try {
      if (deadLetter) {
        // Retries ran out (DESIGN §3): fail the stream loudly rather than let the run hang or drop it silently. The
        // tracker counted the attempts; this delivery's own count is the dead-letter queue's, which starts at 1.
        await runTracker(env, message.runId).giveUp(message.stream, message.chunk, message.lane);
        msg.ack();
        continue;
      }
      const outcome = await extractChunk(env, message, { id: msg.id, attempts: msg.attempts }, budget, deps);
      if (outcome.action === "ack") msg.ack();
      else msg.retry({ delaySeconds: outcome.delaySeconds });
    } catch (error) {
      log("error", "queue message failed", { queue: batch.queue, run_id: message.runId, stream: message.stream, error: String(error) });
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }
  }
}
