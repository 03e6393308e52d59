/** The http client a rest_api read uses: the engine's client with this config's base URL, headers and auth. */
import { apiKey, type AuthProvider, basic, bearer, noAuth } from "../kit/auth";
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import type { RestApiAuth, RestApiConfig } from "./config";

export function restApiClient(ctx: ConnectorContext, config: RestApiConfig): HttpClient {
  return ctx.http.extend({ baseUrl: config.base_url, defaultHeaders: config.headers ?? {}, auth: authProvider(config.auth) });
}

function authProvider(auth: RestApiAuth): AuthProvider {
  // A draft config may lack its secret; reading with it would only earn a 401, so say what is missing instead.
  const missing = (field: string) => new ConnectorError("configuration", `auth.${field} is not set`);
  switch (auth.type) {
    case "none":
      return noAuth();
    case "bearer":
      if (!auth.token) throw missing("token");
      return bearer(auth.token);
    case "api_key":
      if (!auth.value) throw missing("value");
      return apiKey(auth.name, auth.in, auth.value);
    case "basic":
      if (auth.password === undefined) throw missing("password");
      return basic(auth.username, auth.password);
  }
}
