import { z } from "zod";
import { createRecoveryOwnerKey } from "../../services/api-keys/create-api-key";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { apiKeyResponse, createdApiKeyBody } from "./schemas";

export const recoverOwnerKeyRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/owner-keys",
    operationId: "recoverOwnerKey",
    summary: "Mint a recovery owner key (ADMIN_TOKEN)",
    description:
      "The recovery path when a workspace has lost every owner key: authorized by the ADMIN_TOKEN secret, not by a key of the workspace. Answers a new owner key, shown once.",
    tag: "API keys",
    auth: "admin_token",
    params: workspaceParams,
    body: z.object({ name: z.string().trim().min(1).max(200).default("Recovery owner key") }).strict(),
    responses: { 201: { description: "Created", schema: createdApiKeyBody } },
  },
  async (c, { params, body }) => {
    const created = await createRecoveryOwnerKey(c.get("services"), params.id, body);
    return c.json({ ...apiKeyResponse(created.apiKey), key: created.secret }, 201);
  },
);
