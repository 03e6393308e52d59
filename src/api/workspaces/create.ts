import { z } from "zod";
import { createWorkspace } from "../../services/workspaces/create-workspace";
import { createdApiKeyBody, apiKeyResponse } from "../api-keys/schemas";
import { defineRoute } from "../route";
import { workspaceBody, workspaceResponse } from "./schemas";

export const createWorkspaceRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces",
    operationId: "createWorkspace",
    summary: "Create a workspace (bootstrap)",
    description: "Authorized by the ADMIN_TOKEN secret. Answers the workspace and its first owner API key, shown once.",
    tag: "Workspaces",
    auth: "admin_token",
    body: z.object({ name: z.string().trim().min(1).max(200) }).strict(),
    responses: { 201: { description: "Created", schema: z.object({ workspace: workspaceBody, api_key: createdApiKeyBody }) } },
  },
  async (c, { body }) => {
    const created = await createWorkspace(c.get("services"), body);
    return c.json({ workspace: workspaceResponse(created.workspace), api_key: { ...apiKeyResponse(created.apiKey), key: created.secret } }, 201);
  },
);
