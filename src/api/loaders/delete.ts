import { z } from "zod";
import { deleteLoader } from "../../services/loaders/crud";
import { loaderParams } from "../common";
import { defineRoute } from "../route";

export const deleteLoaderRoute = defineRoute(
  {
    method: "delete",
    path: "/workspaces/{id}/loaders/{loaderId}",
    operationId: "deleteLoader",
    summary: "Delete a loader",
    description: "An active run is cancelled first. Tables already loaded into the warehouse are kept.",
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams,
    responses: { 200: { description: "Deleted", schema: z.object({ status: z.literal("deleted") }) } },
  },
  async (c, { params }) => {
    await deleteLoader(c.get("services"), params.id, params.loaderId);
    return c.json({ status: "deleted" as const });
  },
);
