import { createApiKeyRoute } from "./create";
import { listApiKeysRoute } from "./list";
import { revokeApiKeyRoute } from "./revoke";

export const apiKeyRoutes = [listApiKeysRoute, createApiKeyRoute, revokeApiKeyRoute];
