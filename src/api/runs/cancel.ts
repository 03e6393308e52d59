import { cancelRun } from "../../services/runs/cancel-run";
import { defineRoute } from "../route";
import { runParams } from "./get";
import { runBody, runResponse } from "./schemas";

export const cancelRunRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders/{loaderId}/runs/{runId}/cancel",
    operationId: "cancelRun",
    summary: "Cancel a run",
    description: "Cancels a pending or running run (409 run_not_cancellable otherwise). Extraction stops within one page; stream state does not advance and full_refresh targets stay untouched.",
    tag: "Runs",
    auth: "workspace",
    params: runParams,
    responses: { 200: { description: "The run after cancellation", schema: runBody } },
  },
  async (c, { params }) => c.json(runResponse(await cancelRun(c.get("services"), params.id, params.loaderId, params.runId))),
);
