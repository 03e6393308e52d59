import { testSavedSource } from "../../services/sources/test-source";
import { defineRoute } from "../route";
import { connectionTestStream } from "./event-stream";
import { sourceParams } from "./get";

export const testSavedSourceRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/sources/{sourceId}/test",
    operationId: "testSavedSource",
    summary: "Test a saved connection",
    description: "Same events as the test of a new connection; the outcome is stored in the source's status and status_error.",
    tag: "Sources",
    auth: "workspace",
    params: sourceParams,
    responses: { 200: { description: "Event stream", eventStream: true } },
  },
  async (c, { params }) => connectionTestStream(c, await testSavedSource(c.get("services"), params.id, params.sourceId)),
);
