import { createApiKeyRoute } from "./create";
import { listApiKeysRoute } from "./list";
import { recoverOwnerKeyRoute } from "./recover-owner";
import { revokeApiKeyRoute } from "./revoke";

export const apiKeyRoutes = [listApiKeysRoute, createApiKeyRoute, revokeApiKeyRoute, recoverOwnerKeyRoute];
