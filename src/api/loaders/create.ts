import { createLoader } from "../../services/loaders/create-loader";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { createLoaderBody, loaderBody, loaderResponse } from "./schemas";

export const createLoaderRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders",
    operationId: "createLoader",
    summary: "Create a loader",
    description:
      "A config that is valid but still lacks credentials creates a `draft` loader (status_error names what is missing); it becomes `active` once a PUT completes it.",
    tag: "Loaders",
    auth: "workspace",
    params: workspaceParams,
    body: createLoaderBody,
    responses: { 201: { description: "Created", schema: loaderBody } },
  },
  async (c, { params, body }) => c.json(loaderResponse(await createLoader(c.get("services"), params.id, body)), 201),
);
