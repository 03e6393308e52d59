/**
 * The extract message shape, shared by the producer (RunTracker) and the consumers. The tick's run starts share the
 * queue in a shape of their own (scheduler/start-messages.ts).
 */
import { z } from "zod";

export const extractMessage = z.object({
  kind: z.literal("extract"),
  runId: z.string(),
  loaderId: z.string(),
  workspaceId: z.string(),
  stream: z.string(),
  /** The stream's chunk sequence number; a delivery whose chunk is not the stream's current one is stale. */
  chunk: z.number().int().nonnegative(),
  /**
   * The key range of a stream read in parallel ranges (run-tracker.ts, lanes), each with its own chunk sequence;
   * absent for a stream read in one piece, which is what every message sent before ranges existed means.
   */
  lane: z.number().int().nonnegative().optional(),
});

export type ExtractMessage = z.infer<typeof extractMessage>;

export interface RunRef {
  runId: string;
  loaderId: string;
  workspaceId: string;
}
