import { createSource } from "../../services/sources/crud";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { sourceBody, sourceResponse, sourceWriteBody } from "./schemas";

export const createSourceRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/sources",
    operationId: "createSource",
    summary: "Create a source (warehouse)",
    description: "Types: d1 (the embedded default, no config), postgresql, snowflake, bigquery, databricks.",
    tag: "Sources",
    auth: "workspace",
    params: workspaceParams,
    body: sourceWriteBody,
    responses: { 201: { description: "Created", schema: sourceBody } },
  },
  async (c, { params, body }) => c.json(sourceResponse(await createSource(c.get("services"), params.id, body)), 201),
);
