import { updateLoader } from "../../services/loaders/crud";
import { loaderParams } from "../common";
import { defineRoute } from "../route";
import { loaderBody, loaderResponse, updateLoaderBody } from "./schemas";

export const updateLoaderRoute = defineRoute(
  {
    method: "put",
    path: "/workspaces/{id}/loaders/{loaderId}",
    summary: "Update a loader",
    description:
      "Partial: absent fields keep their values and absent secret fields keep the stored secret. Read-only fields are ignored, unknown fields are a 400, loader_type cannot change, status may be active or paused.",
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams,
    body: updateLoaderBody,
    responses: { 200: { description: "Updated", schema: loaderBody } },
  },
  async (c, { params, body }) => {
    const { id: _id, workspace_id: _ws, status_error: _se, created_by: _cb, created_at: _ca, updated_at: _ua, last_run_at: _lra, last_run_id: _lri, ...input } = body;
    return c.json(loaderResponse(await updateLoader(c.get("services"), params.id, params.loaderId, input)));
  },
);
