/** The one queue message shape, shared by the producer (RunTracker) and the consumers. */
import { z } from "zod";

export const extractMessage = z.object({
  kind: z.literal("extract"),
  runId: z.string(),
  loaderId: z.string(),
  workspaceId: z.string(),
  stream: z.string(),
  /** The stream's chunk sequence number; a delivery whose chunk is not the stream's current one is stale. */
  chunk: z.number().int().nonnegative(),
});

export type ExtractMessage = z.infer<typeof extractMessage>;

export interface RunRef {
  runId: string;
  loaderId: string;
  workspaceId: string;
}
