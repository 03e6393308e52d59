/**
 * The connector-facing TokenStore of one loader: its TokenKeeper object, with ConnectorErrors carried across the RPC
 * as data. Kept apart from the object's own file, which the engine's dispatch module names only as a type.
 */
import type { TokenStore } from "../../connectors/kit/contract";
import { ConnectorError, isConnectorError } from "../../connectors/kit/errors";
import { markFinal } from "../../connectors/kit/http";
import type { Env } from "../env";
import { tokenKeeper } from "./dispatch";
import type { LoaderRef, Obtained } from "./token-keeper";

export function tokenStoreFor(env: Env, ref: LoaderRef): TokenStore {
  const keeper = tokenKeeper(env, ref.loaderId);
  return {
    async token(request, obtain) {
      // Cast: RPC types map `unknown` (TokenResponse's provider extras) to nothing serializable, which turns the
      // success variant into never; the values themselves are plain JSON.
      const obtained = (await keeper.token(ref, request, async (refreshToken: string): Promise<Obtained> => {
        try {
          return { ok: true, response: await obtain(refreshToken) };
        } catch (error) {
          if (!isConnectorError(error)) throw error;
          return { ok: false, kind: error.kind, message: error.message, details: error.details };
        }
      })) as unknown as Obtained;
      if (obtained.ok) return obtained.response;
      const error = new ConnectorError(obtained.kind, obtained.message, obtained.details);
      // A retryable failure out of the token request has spent its own retries already (the http client ends one
      // only then); marked final, the API request around it does not repeat them.
      throw obtained.kind === "retryable" ? markFinal(error) : error;
    },
  };
}
