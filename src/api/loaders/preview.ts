import { previewLoader } from "../../services/loaders/inspect-loader";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { previewBody, previewResponse } from "./inspect-schemas";

export const previewLoaderRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders/preview",
    operationId: "previewLoader",
    summary: "Preview a stream of an unsaved config",
    description: "Reads the first page of one stream and answers its records and the columns they would become in the warehouse. Writes nothing: no table, no state.",
    tag: "Loaders",
    auth: "workspace",
    params: workspaceParams,
    body: previewBody,
    responses: { 200: { description: "The first page and its columns", schema: previewResponse } },
  },
  async (c, { body }) => c.json(await previewLoader(c.get("services"), body)),
);
