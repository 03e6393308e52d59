import { z } from "zod";
import { deleteSource } from "../../services/sources/crud";
import { defineRoute } from "../route";
import { sourceParams } from "./get";

export const deleteSourceRoute = defineRoute(
  {
    method: "delete",
    path: "/workspaces/{id}/sources/{sourceId}",
    operationId: "deleteSource",
    summary: "Delete a source",
    description: "409 source_in_use while loaders write into it. Warehouse data is not touched.",
    tag: "Sources",
    auth: "workspace",
    params: sourceParams,
    responses: { 200: { description: "Deleted", schema: z.object({ status: z.literal("deleted") }) } },
  },
  async (c, { params }) => {
    await deleteSource(c.get("services"), params.id, params.sourceId);
    return c.json({ status: "deleted" as const });
  },
);
