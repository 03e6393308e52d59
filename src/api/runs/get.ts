import { z } from "zod";
import { getRunRow } from "../../services/runs/run-store";
import { loaderParams } from "../common";
import { defineRoute } from "../route";
import { runBody, runResponse } from "./schemas";

export const runParams = loaderParams.extend({ runId: z.string() });

export const getRunRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loaders/{loaderId}/runs/{runId}",
    operationId: "getRun",
    summary: "Get a loader run",
    description: "While the run is running, rows_loaded and the per-stream counters are live.",
    tag: "Runs",
    auth: "workspace",
    params: runParams,
    responses: { 200: { description: "The run", schema: runBody } },
  },
  async (c, { params }) => c.json(runResponse(await getRunRow(c.get("services"), params.id, params.loaderId, params.runId))),
);
