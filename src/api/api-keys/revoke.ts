import { z } from "zod";
import { revokeApiKey } from "../../services/api-keys/revoke-api-key";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { apiKeyBody, apiKeyResponse } from "./schemas";

export const revokeApiKeyRoute = defineRoute(
  {
    method: "delete",
    path: "/workspaces/{id}/api-keys/{keyId}",
    operationId: "revokeApiKey",
    summary: "Revoke an API key",
    description: "The key stops authenticating at once; its record stays, with status revoked. A key cannot revoke a key of a higher role than its own, and the last active owner key cannot be revoked (409 last_owner_key).",
    tag: "API keys",
    auth: "workspace",
    params: workspaceParams.extend({ keyId: z.string() }),
    responses: { 200: { description: "Revoked", schema: apiKeyBody } },
  },
  async (c, { params }) => c.json(apiKeyResponse(await revokeApiKey(c.get("services"), params.id, params.keyId))),
);
