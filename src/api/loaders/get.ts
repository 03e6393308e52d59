import { getLoader } from "../../services/loaders/crud";
import { loaderParams } from "../common";
import { defineRoute } from "../route";
import { loaderBody, loaderResponse } from "./schemas";

export const getLoaderRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loaders/{loaderId}",
    operationId: "getLoader",
    summary: "Get a loader",
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams,
    responses: { 200: { description: "The loader", schema: loaderBody } },
  },
  async (c, { params }) => c.json(loaderResponse(await getLoader(c.get("services"), params.id, params.loaderId))),
);
