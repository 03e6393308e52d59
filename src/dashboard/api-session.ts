/**
 * The dashboard's pages call the same JSON API as everyone else, authenticated by the session cookie instead of a
 * Bearer key: one set of routes, validators and errors for both. A state-changing request must also carry the
 * session's CSRF token in `X-CSRF-Token`.
 */
import type { Context } from "hono";
import { database } from "../db/client";
import { AppError } from "../lib/errors";
import { activeApiKeyById } from "../services/api-keys/session-key";
import type { AppEnv } from "../api/types";
import { csrfMatches, readSession } from "./session";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The API key behind the request's dashboard session; 401 without a live one, 403 on a missing CSRF token. */
export async function sessionApiKey(c: Context<AppEnv>) {
  const session = await readSession(c);
  if (!session) throw new AppError("unauthorized", "missing credentials: send Authorization: Bearer <api key>");
  const key = await activeApiKeyById(database(c.env.DB), session.workspaceId, session.keyId);
  if (!key) throw new AppError("unauthorized", "the API key of this session was revoked; sign in again");
  if (!SAFE_METHODS.has(c.req.method) && !(await csrfMatches(session.csrf, c.req.header("x-csrf-token")))) {
    throw new AppError("forbidden", "missing or wrong CSRF token");
  }
  return key;
}
