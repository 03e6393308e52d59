import { z } from "zod";
import { listWorkspaces } from "../../services/workspaces/list-workspaces";
import { defineRoute } from "../route";
import { workspaceBody, workspaceResponse } from "./schemas";

export const listWorkspacesRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces",
    operationId: "listWorkspaces",
    summary: "List the caller's workspaces",
    description: "The one endpoint without X-Workspace-ID: an API key sees its workspace; ADMIN_TOKEN sees all.",
    tag: "Workspaces",
    auth: "key_or_admin_token",
    responses: { 200: { description: "Workspaces", schema: z.array(workspaceBody) } },
  },
  async (c) => c.json((await listWorkspaces(c.get("services"))).map(workspaceResponse)),
);
