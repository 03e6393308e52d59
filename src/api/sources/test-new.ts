import { testNewSource } from "../../services/sources/test-source";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { connectionTestStream } from "./event-stream";
import { sourceTestBody } from "./schemas";

export const testNewSourceRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/sources/test",
    operationId: "testNewSource",
    summary: "Test a connection before saving it",
    description: "Server-Sent Events: `step` events {step, status, message} for network, authentication, authorization and query (SELECT 1), then a `result` event {success, message}.",
    tag: "Sources",
    auth: "workspace",
    params: workspaceParams,
    body: sourceTestBody,
    responses: { 200: { description: "Event stream", eventStream: true } },
  },
  async (c, { body }) => connectionTestStream(c, await testNewSource(c.get("services"), body)),
);
