import { z } from "zod";
import { requireSource } from "../../services/sources/source-store";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { sourceBody, sourceResponse } from "./schemas";

export const sourceParams = workspaceParams.extend({ sourceId: z.string() });

export const getSourceRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/sources/{sourceId}",
    operationId: "getSource",
    summary: "Get a source",
    tag: "Sources",
    auth: "workspace",
    params: sourceParams,
    responses: { 200: { description: "The source", schema: sourceBody } },
  },
  async (c, { params }) => c.json(sourceResponse(await requireSource(c.get("services"), params.id, params.sourceId))),
);
