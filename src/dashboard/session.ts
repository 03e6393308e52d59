/**
 * Dashboard sessions. Signing in exchanges an API key for a cookie that holds only a sealed reference to the key
 * (its id, its workspace, an expiry and a CSRF secret), never the key itself: AES-GCM with the secrets keyring, so
 * the browser can neither read nor forge it. Every request re-checks the key in D1, so revoking the key ends its
 * sessions at once. HttpOnly keeps it from scripts, Secure from plain networks (browsers treat 127.0.0.1 and
 * localhost as secure origins, so local development works), SameSite=Strict from cross-site requests; the CSRF
 * token is required as well on every state-changing request (defence in depth for browsers without SameSite).
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { settings, type Env } from "../env";
import { randomToken, timingSafeEqualStrings } from "../lib/ids";
import { openJson, sealJson } from "../lib/secrets";

export const SESSION_COOKIE = "loaders_session";
/** The sign-in form's own CSRF token lives in this short cookie (double submit): there is no session yet. */
export const SIGNIN_CSRF_COOKIE = "loaders_signin";
export const SESSION_HOURS = 12;
const AAD = "dashboard-session";

export interface DashboardSession {
  keyId: string;
  workspaceId: string;
  csrf: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

const cookieOptions = { httpOnly: true, secure: true, sameSite: "Strict", path: "/" } as const;

export async function startSession<E extends { Bindings: Env }>(c: Context<E>, key: { id: string; workspaceId: string }, now = Date.now()): Promise<DashboardSession> {
  const session: DashboardSession = { keyId: key.id, workspaceId: key.workspaceId, csrf: randomToken(24), expiresAt: now + SESSION_HOURS * 3600_000 };
  setCookie(c, SESSION_COOKIE, await sealJson(settings(c.env).SECRETS_KEYRING, session, AAD), { ...cookieOptions, maxAge: SESSION_HOURS * 3600 });
  deleteCookie(c, SIGNIN_CSRF_COOKIE, { path: "/" });
  return session;
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { ...cookieOptions });
}

/** The session the request's cookie names, or null (absent, tampered with, sealed by a retired key, expired). */
export async function readSession<E extends { Bindings: Env }>(c: Context<E>, now = Date.now()): Promise<DashboardSession | null> {
  const sealed = getCookie(c, SESSION_COOKIE);
  if (!sealed) return null;
  try {
    const session = await openJson<DashboardSession>(settings(c.env).SECRETS_KEYRING, sealed, AAD);
    return session.expiresAt > now ? session : null;
  } catch {
    return null;
  }
}

export async function csrfMatches(expected: string, presented: string | undefined): Promise<boolean> {
  return presented !== undefined && presented.length > 0 && (await timingSafeEqualStrings(expected, presented));
}

/** A fresh token for the sign-in form, set in its cookie and rendered into the form. */
export function signinCsrf(c: Context): string {
  const token = randomToken(24);
  setCookie(c, SIGNIN_CSRF_COOKIE, token, { ...cookieOptions, maxAge: 3600 });
  return token;
}
