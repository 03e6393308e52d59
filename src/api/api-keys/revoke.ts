import { z } from "zod";
import { revokeApiKey } from "../../services/api-keys/revoke-api-key";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { apiKeyBody, apiKeyResponse } from "./schemas";

export const revokeApiKeyRoute = defineRoute(
  {
    method: "delete",
    path: "/workspaces/{id}/api-keys/{keyId}",
    summary: "Revoke an API key",
    description: "The key stops authenticating at once; its record stays, with status revoked.",
    tag: "API keys",
    auth: "workspace",
    params: workspaceParams.extend({ keyId: z.string() }),
    responses: { 200: { description: "Revoked", schema: apiKeyBody } },
  },
  async (c, { params }) => c.json(apiKeyResponse(await revokeApiKey(c.get("services"), params.id, params.keyId))),
);
