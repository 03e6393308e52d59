import { z } from "zod";
import { resetStream } from "../../services/loaders/reset-stream";
import { loaderParams } from "../common";
import { defineRoute } from "../route";

export const resetStreamRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders/{loaderId}/streams/{name}/reset",
    operationId: "resetStream",
    summary: "Reset a stream",
    description: "Clears the stream's committed state, so the next run reads it in full (merging by primary key). For a full_refresh stream nothing else changes. 409 run_in_progress while a run is live.",
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams.extend({ name: z.string().min(1) }),
    responses: {
      200: {
        description: "Reset",
        schema: z.object({ stream: z.string(), sync_mode: z.enum(["full_refresh", "incremental"]), had_state: z.boolean().describe("Whether a cursor was cleared") }),
      },
    },
  },
  async (c, { params }) => c.json(await resetStream(c.get("services"), params.id, params.loaderId, params.name)),
);
