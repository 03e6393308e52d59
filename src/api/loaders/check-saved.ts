import { checkSavedLoader } from "../../services/loaders/inspect-loader";
import { loaderParams } from "../common";
import { defineRoute } from "../route";
import { connectionTestStream } from "../sources/event-stream";
import { checkEvents } from "./inspect-schemas";

export const checkSavedLoaderRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders/{loaderId}/check",
    operationId: "checkLoader",
    summary: "Check a saved loader",
    description: `${checkEvents} Uses the stored config and selected streams. Nothing is written.`,
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams,
    responses: { 200: { description: "Event stream", eventStream: true } },
  },
  async (c, { params }) => connectionTestStream(c, await checkSavedLoader(c.get("services"), params.id, params.loaderId)),
);
