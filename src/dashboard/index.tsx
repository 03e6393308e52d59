/** @jsxImportSource hono/jsx */
/**
 * The web dashboard, served by the same Worker at `/` (no second deployment). Pages are rendered on the server
 * from the same service verbs and response shapes as the JSON API; the little client script in public/assets
 * then calls the JSON API itself (authenticated by the session cookie) for everything that changes state, so the
 * dashboard has no routes of its own that write, and every rule of the API applies to it.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../api/types";
import { database } from "../db/client";
import { AppError } from "../lib/errors";
import { authenticateApiKey } from "../services/api-keys/authenticate";
import { activeApiKeyById } from "../services/api-keys/session-key";
import { serviceContext } from "../services/context";
import { listWorkspaces } from "../services/workspaces/list-workspaces";
import { describeSchedule } from "./cron-words";
import { Page, type Viewer } from "./layout";
import { apiKeysPage } from "./pages/api-keys";
import { loaderPage } from "./pages/loader";
import { loadersPage } from "./pages/loaders";
import { newLoaderPage } from "./pages/new-loader";
import { runPage } from "./pages/run";
import { sourcesPage } from "./pages/sources";
import { usagePage } from "./pages/usage";
import { webhooksPage } from "./pages/webhooks";
import { SIGNIN_CSRF_COOKIE, csrfMatches, endSession, readSession, signinCsrf, startSession } from "./session";

export type DashboardEnv = AppEnv & { Variables: AppEnv["Variables"] & { viewer: Viewer } };
export type DashboardContext = Context<DashboardEnv>;

/**
 * Pages may load only our own script and styles, talk only to our own API, and never be framed. `form-action`
 * keeps a forged page from posting a sign-in form elsewhere.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.header("Content-Security-Policy", CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  c.header("Cache-Control", "no-store");
};

/** Resolves the session into the viewer and a service context acting as its API key; no session → sign in. */
const signedIn: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  const session = await readSession(c);
  const key = session ? await activeApiKeyById(database(c.env.DB), session.workspaceId, session.keyId) : null;
  if (!session || !key) return c.redirect(`/signin?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);
  const services = serviceContext(c.env, { kind: "api_key", workspaceId: key.workspaceId, keyId: key.id, role: key.role });
  const [workspace] = await listWorkspaces(services);
  c.set("services", services);
  c.set("workspaceId", key.workspaceId);
  c.set("viewer", { workspaceId: key.workspaceId, workspaceName: workspace?.name ?? "", keyName: key.name, role: key.role, csrf: session.csrf });
  return next();
};

function safeNext(value: string | undefined): string {
  return value && /^\/[a-z0-9/_-]*$/i.test(value) && !value.startsWith("//") ? value : "/loaders";
}

function signinPage(c: Context<AppEnv>, error?: string, status: 200 | 400 | 401 | 403 = 200) {
  const csrf = signinCsrf(c);
  const next = safeNext(c.req.query("next"));
  return c.html(
    <Page title="Sign in">
      <form class="card narrow" method="post" action={`/signin?next=${encodeURIComponent(next)}`}>
        <p>Sign in with an API key of your workspace. The key is exchanged for a session and is never kept in this browser.</p>
        {error ? (
          <p class="error" role="alert" id="signin-error">
            {error}
          </p>
        ) : null}
        <label for="api_key">API key</label>
        <input id="api_key" name="api_key" type="password" autocomplete="off" required placeholder="sk_live_…" aria-describedby={error ? "signin-error" : undefined} />
        <input type="hidden" name="_csrf" value={csrf} />
        <button type="submit" class="primary">
          Sign in
        </button>
        <p class="muted small">
          No key yet? Create a workspace with the admin token (README, “Walk-through”): the answer holds its owner key.
        </p>
      </form>
    </Page>,
    status,
  );
}

async function formField(c: Context<AppEnv>, name: string): Promise<string | undefined> {
  const contentType = c.req.header("content-type") ?? "";
  if (!contentType.startsWith("application/x-www-form-urlencoded") && !contentType.startsWith("multipart/form-data")) return undefined;
  const form = await c.req.parseBody();
  const value = form[name];
  return typeof value === "string" ? value : undefined;
}

export function mountDashboard(app: Hono<AppEnv>): void {
  const pages = app as unknown as Hono<DashboardEnv>;
  for (const path of ["/", "/signin", "/signout", "/loaders", "/loaders/*", "/sources", "/api-keys", "/webhooks", "/usage", "/ui/*"]) {
    app.use(path, securityHeaders);
  }

  app.get("/", async (c) => c.redirect((await readSession(c)) ? "/loaders" : "/signin", 303));
  app.get("/signin", (c) => signinPage(c));
  app.post("/signin", async (c) => {
    const expected = getCookie(c, SIGNIN_CSRF_COOKIE);
    const form = await c.req.parseBody();
    const presentedCsrf = typeof form._csrf === "string" ? form._csrf : undefined;
    if (!expected || !(await csrfMatches(expected, presentedCsrf))) return signinPage(c, "The sign-in form expired; please try again.", 403);
    const apiKey = typeof form.api_key === "string" ? form.api_key.trim() : "";
    const key = apiKey ? await authenticateApiKey(database(c.env.DB), apiKey) : null;
    if (!key) return signinPage(c, "That API key is not valid or was revoked.", 401);
    await startSession(c, key);
    return c.redirect(safeNext(c.req.query("next")), 303);
  });
  app.post("/signout", async (c) => {
    const session = await readSession(c);
    if (session && !(await csrfMatches(session.csrf, await formField(c, "_csrf")))) throw new AppError("forbidden", "missing or wrong CSRF token");
    endSession(c);
    return c.redirect("/signin", 303);
  });

  pages.use("/loaders", signedIn);
  pages.use("/loaders/*", signedIn);
  pages.use("/sources", signedIn);
  pages.use("/api-keys", signedIn);
  pages.use("/webhooks", signedIn);
  pages.use("/usage", signedIn);
  pages.use("/ui/*", signedIn);

  pages.get("/loaders", loadersPage);
  pages.get("/loaders/new", newLoaderPage);
  pages.get("/loaders/:loaderId", loaderPage);
  pages.get("/loaders/:loaderId/runs/:runId", runPage);
  pages.get("/sources", sourcesPage);
  pages.get("/api-keys", apiKeysPage);
  pages.get("/webhooks", webhooksPage);
  pages.get("/usage", usagePage);
  /** The schedule step's preview: the cron in words and its next five times, computed by the scheduler's own parser. */
  pages.get("/ui/schedule", (c) => c.json(describeSchedule(c.req.query("cron") ?? "", new Date())));
}
