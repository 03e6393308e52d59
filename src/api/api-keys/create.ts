import { z } from "zod";
import { createApiKey } from "../../services/api-keys/create-api-key";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { apiKeyResponse, createdApiKeyBody } from "./schemas";

export const createApiKeyRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/api-keys",
    operationId: "createApiKey",
    summary: "Create an API key",
    description: "Admins and owners only. The key is in this response and nowhere else; a key cannot mint a stronger role than its own.",
    tag: "API keys",
    auth: "workspace",
    params: workspaceParams,
    body: z
      .object({
        name: z.string().trim().min(1).max(200),
        role: z.enum(["owner", "admin", "member"]).default("member"),
      })
      .strict(),
    responses: { 201: { description: "Created", schema: createdApiKeyBody } },
  },
  async (c, { params, body }) => {
    const created = await createApiKey(c.get("services"), params.id, body);
    return c.json({ ...apiKeyResponse(created.apiKey), key: created.secret }, 201);
  },
);
