import { updateLoader } from "../../services/loaders/crud";
import { loaderParams } from "../common";
import { defineRoute } from "../route";
import { z } from "zod";
import { loaderBody, loaderResponse, updateLoaderBody } from "./schemas";

const updatedLoaderBody = loaderBody.extend({
  applies_from: z
    .enum(["now", "next_run"])
    .describe("next_run: a run was live; it finishes with the loader as it was when it started, and this change applies from the next run"),
  live_run_id: z.string().nullable().describe("The run that keeps the previous settings, if one was pending or running"),
});

export const updateLoaderRoute = defineRoute(
  {
    method: "put",
    path: "/workspaces/{id}/loaders/{loaderId}",
    operationId: "updateLoader",
    summary: "Update a loader",
    description:
      "Partial: absent fields keep their values. `config` is a JSON Merge Patch (RFC 7386) over the stored config: absent members (secrets included) keep their values, null removes one. Read-only fields are ignored, unknown fields are a 400, loader_type cannot change, status may be active or paused. A run that is live keeps the loader as it was when the run was created; the change applies from the next run (`applies_from`).",
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams,
    body: updateLoaderBody,
    responses: { 200: { description: "Updated", schema: updatedLoaderBody } },
  },
  async (c, { params, body }) => {
    const { id: _id, workspace_id: _ws, status_error: _se, created_by: _cb, created_at: _ca, updated_at: _ua, last_run_at: _lra, last_run_id: _lri, applies_from: _af, live_run_id: _lr, ...input } = body;
    const { loader, liveRunId } = await updateLoader(c.get("services"), params.id, params.loaderId, input);
    return c.json({ ...loaderResponse(loader), applies_from: liveRunId ? ("next_run" as const) : ("now" as const), live_run_id: liveRunId });
  },
);
