import type { Env } from "../env";
import type { ServiceContext } from "../services/context";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    services: ServiceContext;
    workspaceId: string;
    /** The request body as the JSON-body middleware parsed it; absent for an empty body. */
    jsonBody: unknown;
  };
}
