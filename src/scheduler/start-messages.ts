/**
 * Run starts handed to the queue: the tick sends one `start` message per run it created (100 per `sendBatch`, the
 * queue's cap), and the queue's consumers call each run's RunTracker `start`. The tick's own time is then its claims,
 * inserts and sends, while the starts (a D1 batch, a queue batch and an alarm each) proceed in parallel consumers.
 * `start` is idempotent, so a message delivered twice starts its run once; a start message lost or dead-lettered
 * leaves its run pending, and the stuck-run pass of a later tick sends it again.
 */
import { z } from "zod";
import { runTracker } from "../engine/dispatch";
import type { RunRef } from "../engine/messages";
import { retryDelaySeconds } from "../engine/retry-delay";
import type { Env } from "../env";
import { log } from "../lib/log";

export const startMessage = z.object({
  kind: z.literal("start"),
  runId: z.string(),
  loaderId: z.string(),
  workspaceId: z.string(),
});

export type StartMessage = z.infer<typeof startMessage>;

// Queues' sendBatch takes at most 100 messages.
const SEND_BATCH = 100;

export async function sendStartMessages(env: Env, refs: RunRef[]): Promise<void> {
  for (let i = 0; i < refs.length; i += SEND_BATCH) {
    await env.EXTRACT_QUEUE.sendBatch(
      refs.slice(i, i + SEND_BATCH).map((ref) => ({ body: { kind: "start", runId: ref.runId, loaderId: ref.loaderId, workspaceId: ref.workspaceId } satisfies StartMessage })),
    );
  }
}

/** Is the body a start message (any other body goes to the extract loop, which judges it)? */
export function isStartMessage(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "start";
}

/**
 * Starts the runs of a batch's start messages, all at once. A start that fails is retried with the queue's backoff;
 * one that ran out of retries (the dead-letter queue) is acked: its run stays pending for the stuck-run pass.
 */
export async function handleStartMessages(messages: readonly Message<unknown>[], env: Env, deadLetter: boolean): Promise<void> {
  await Promise.all(
    messages.map(async (msg) => {
      const parsed = startMessage.safeParse(msg.body);
      if (!parsed.success) {
        log("error", "malformed start message dropped", { id: msg.id });
        msg.ack();
        return;
      }
      const ref = { runId: parsed.data.runId, loaderId: parsed.data.loaderId, workspaceId: parsed.data.workspaceId };
      if (deadLetter) {
        log("error", "run start dead-lettered; the stuck-run pass starts it again", { run_id: ref.runId, loader_id: ref.loaderId });
        msg.ack();
        return;
      }
      try {
        await runTracker(env, ref.runId).start(ref);
        msg.ack();
      } catch (error) {
        log("error", "run failed to start", { run_id: ref.runId, loader_id: ref.loaderId, attempts: msg.attempts, error: String(error) });
        msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      }
    }),
  );
}
