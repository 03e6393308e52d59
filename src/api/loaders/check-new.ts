import { checkNewLoader } from "../../services/loaders/inspect-loader";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { connectionTestStream } from "../sources/event-stream";
import { checkEvents, unsavedLoaderBody } from "./inspect-schemas";

export const checkNewLoaderRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders/check",
    operationId: "checkNewLoader",
    summary: "Check a loader config before saving it",
    description: `${checkEvents} A config that is not valid or lacks its credentials is a 400 before any event. Nothing is written.`,
    tag: "Loaders",
    auth: "workspace",
    params: workspaceParams,
    body: unsavedLoaderBody,
    responses: { 200: { description: "Event stream", eventStream: true } },
  },
  async (c, { body }) => connectionTestStream(c, checkNewLoader(c.get("services"), body)),
);
