import { triggerRun } from "../../services/runs/trigger-run";
import { loaderParams } from "../common";
import { defineRoute } from "../route";
import { runBody, runResponse } from "../runs/schemas";

export const triggerLoaderRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders/{loaderId}/trigger",
    operationId: "triggerRun",
    summary: "Trigger a sync run",
    description: "Answers the new run (pending). 409 run_in_progress while a run is pending or running; 409 loader_not_ready for a draft.",
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams,
    responses: { 201: { description: "The created run", schema: runBody } },
  },
  async (c, { params }) => c.json(runResponse(await triggerRun(c.get("services"), params.id, params.loaderId, (work) => c.executionCtx.waitUntil(work))), 201),
);
