import { updateSource } from "../../services/sources/crud";
import { defineRoute } from "../route";
import { sourceParams } from "./get";
import { sourceBody, sourceResponse, sourceWriteBody } from "./schemas";

export const updateSourceRoute = defineRoute(
  {
    method: "put",
    path: "/workspaces/{id}/sources/{sourceId}",
    operationId: "updateSource",
    summary: "Update a source",
    description: "Partial: absent fields keep their values, absent secret fields keep the stored secret; source_type cannot change.",
    tag: "Sources",
    auth: "workspace",
    params: sourceParams,
    body: sourceWriteBody.partial().strict(),
    responses: { 200: { description: "Updated", schema: sourceBody } },
  },
  async (c, { params, body }) => c.json(sourceResponse(await updateSource(c.get("services"), params.id, params.sourceId, body))),
);
