/**
 * Run starts handed to the queue: the tick sends its runs in `start` messages of RUNS_PER_MESSAGE runs (100 messages
 * per `sendBatch`, the queue's cap), and the queue's consumers call each run's RunTracker `start`, a message's runs at
 * once. The tick's own time is then its claims, inserts and sends, while the starts (a D1 batch, a queue batch and an
 * alarm each) proceed in parallel consumers. `start` is idempotent, so a message delivered twice starts its runs once,
 * and a message retried because one of its starts failed leaves the others as they were; a start message lost or
 * dead-lettered leaves its runs pending, and the stuck-run pass of a later tick sends them again.
 */
import { z } from "zod";
import { runTracker } from "../engine/dispatch";
import type { RunRef } from "../engine/messages";
import { retryDelaySeconds } from "../engine/retry-delay";
import type { Env } from "../env";
import { log } from "../lib/log";

const runRef = z.object({ runId: z.string(), loaderId: z.string(), workspaceId: z.string() });

export const startMessage = z.object({
  kind: z.literal("start"),
  runs: z.array(runRef).min(1),
});

export type StartMessage = z.infer<typeof startMessage>;

// Queues' sendBatch takes at most 100 messages.
const SEND_BATCH = 100;
// Runs a message starts together: a consumer invocation makes that many Durable Object calls at once (a local queue
// delivers one batch at a time, so one run a message made every start wait for the one before: 19 s for 1,000), and
// a tenth of the messages is a tenth of the queue operations billed.
const RUNS_PER_MESSAGE = 10;

export async function sendStartMessages(env: Env, refs: RunRef[]): Promise<void> {
  const messages: { body: StartMessage }[] = [];
  for (let i = 0; i < refs.length; i += RUNS_PER_MESSAGE) {
    const runs = refs.slice(i, i + RUNS_PER_MESSAGE).map((ref) => ({ runId: ref.runId, loaderId: ref.loaderId, workspaceId: ref.workspaceId }));
    messages.push({ body: { kind: "start", runs } });
  }
  for (let i = 0; i < messages.length; i += SEND_BATCH) await env.EXTRACT_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
}

/** Is the body a start message (any other body goes to the extract loop, which judges it)? */
export function isStartMessage(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "start";
}

/**
 * Starts the runs of a batch's start messages, all at once. A message any of whose starts failed is retried with the
 * queue's backoff; one that ran out of retries (the dead-letter queue) is acked: its runs stay pending for the
 * stuck-run pass.
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
      const runs = parsed.data.runs;
      if (deadLetter) {
        log("error", "run starts dead-lettered; the stuck-run pass starts them again", { run_ids: runs.map((r) => r.runId) });
        msg.ack();
        return;
      }
      const outcomes = await Promise.allSettled(runs.map((ref) => runTracker(env, ref.runId).start(ref)));
      const failed = outcomes.flatMap((outcome, i) => (outcome.status === "rejected" ? [{ run_id: runs[i]!.runId, error: String(outcome.reason) }] : []));
      if (failed.length === 0) {
        msg.ack();
        return;
      }
      log("error", "runs failed to start", { attempts: msg.attempts, failed });
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }),
  );
}
