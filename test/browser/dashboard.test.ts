/**
 * The dashboard as a person uses it, in Debian's Chromium against `wrangler dev` and the fake REST API: sign in,
 * create a loader through the wizard, watch its run complete live, see a failing run's error, edit a secret
 * without seeing it, a member who cannot edit, a forged write refused, sign out, keyboard-only use with no layout
 * shift while a run's counters update, every page at a phone's width; axe-core on every page.
 * Without Chromium the suite is skipped with a warning, except in CI (CI=true), where a missing browser fails.
 * LOADERS_SCREENSHOTS=<dir> saves a screenshot of each page there (kept out of the repo).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, apiClient, chromiumPath, launchBrowser, type Service, startService } from "./harness";

const executable = chromiumPath();
if (!executable && process.env.CI) throw new Error("Chromium is required for the browser tests in CI (apt-get install chromium)");
if (!executable) console.warn("browser tests skipped: no Chromium found (apt-get install chromium, or set LOADERS_CHROMIUM)");

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const shots = process.env.LOADERS_SCREENSHOTS;
if (shots) mkdirSync(shots, { recursive: true });

describe.skipIf(!executable)("dashboard in a real browser", () => {
  let service: Service;
  let browser: Browser;
  let api: ReturnType<typeof apiClient>;
  let workspaceId: string;
  let ownerKey: string;
  let sourceId: string;
  const cspViolations: string[] = [];

  const fakeBase = () => "https://api.example.com/t/browser";
  /** A full_refresh rest_api loader of the fake's paged `items` of `tenant` (target schema = tenant), made through the API. */
  const createPagedLoader = async (name: string, tenant: string, options: { auth?: unknown; schema_change_policy?: string } = {}) => {
    const created = await api("POST", `/workspaces/${workspaceId}/loaders`, ownerKey, {
      name,
      loader_type: "rest_api",
      source_id: sourceId,
      target_schema: tenant,
      sync_mode: "full_refresh",
      ...(options.schema_change_policy ? { schema_change_policy: options.schema_change_policy } : {}),
      selected_streams: [{ name: "items" }],
      config: {
        base_url: `https://api.example.com/t/${tenant}`,
        ...(options.auth ? { auth: options.auth } : {}),
        paginator: { type: "page_number", page_param: "page", size_param: "per_page", page_size: 10 },
        streams: [{ name: "items", path: "/page/items", records_path: "items", primary_key: ["id"] }],
      },
    }, workspaceId);
    expect(created.status).toBe(201);
    return created;
  };
  const seed = async (tenant: string, body: Record<string, unknown>) => {
    const response = await fetch(`http://127.0.0.1:${service.fake.port}/t/${tenant}/_control/seed`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
  };

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on("pageerror", (error) => cspViolations.push(`page error: ${error.message}`));
    return page;
  }

  async function signIn(key: string, options: Parameters<Browser["newContext"]>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext(options);
    const page = await newPage(context);
    await page.goto(`${service.base}/`);
    await expect.poll(() => page.url()).toContain("/signin");
    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${service.base}/loaders`);
    return { context, page };
  }

  /** axe-core in the page (evaluated over CDP, so the page's CSP stays strict): no serious or critical violations. */
  async function checkAccessibility(page: Page, name: string) {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
      return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
    });
    expect(violations, `axe on ${name}`).toEqual([]);
    if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    service = await startService();
    browser = await launchBrowser(executable!);
    api = apiClient(service.base);
    const created = await api("POST", "/workspaces", ADMIN_TOKEN, { name: "Browser Co" });
    expect(created.status).toBe(201);
    workspaceId = created.body!.workspace.id;
    ownerKey = created.body!.api_key.key;
    const source = await api("POST", `/workspaces/${workspaceId}/sources`, ownerKey, { name: "Embedded", source_type: "d1" }, workspaceId);
    expect(source.status).toBe(201);
    sourceId = source.body!.id;
    await seed("browser", { count: 250 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it("signs in, creates a rest_api loader through the wizard, and watches its run complete live", async () => {
    const { context, page } = await signIn(ownerKey);
    await expect.poll(() => page.getByText("No loaders yet").count()).toBe(1);
    await checkAccessibility(page, "loaders-empty");

    await page.getByRole("link", { name: "New loader" }).click();
    await page.waitForURL(/\/loaders\/new$/);
    await page.getByRole("radio", { name: /REST API/i }).check();
    await checkAccessibility(page, "wizard-type");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Name", { exact: true }).fill("Items from the browser");
    await page.getByLabel("Target schema").fill("browser_demo");
    await page.getByLabel("Base url").fill(fakeBase());
    await page.getByRole("textbox", { name: "Streams" }).fill(JSON.stringify([{ name: "items", path: "/page/items", records_path: "items", primary_key: ["id"], incremental: { cursor_field: "updated_at", param: "updated_since" } }]));
    await page.getByLabel("Paginator type").selectOption("page_number");
    await page.getByLabel("Size param (optional)").fill("per_page");
    await page.getByLabel("Page size (optional)").fill("100");
    await checkAccessibility(page, "wizard-connect");
    await page.getByRole("button", { name: "Next" }).click();

    // Check, then streams (from discovery or the config), then preview.
    await expect.poll(() => page.locator("#check-result").textContent(), { timeout: 30_000 }).toBe("connection succeeded");
    expect(await page.locator("#check-steps li.check-success").count()).toBe(4);
    await checkAccessibility(page, "wizard-check");
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => page.locator("[data-stream]").count()).toBe(1);
    await page.getByLabel("Sync mode of items").selectOption("full_refresh");
    await checkAccessibility(page, "wizard-streams");
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => page.locator("#preview table tbody tr").count(), { timeout: 30_000 }).toBe(20);
    expect(await page.locator("#preview").textContent()).toContain("Nothing was written");
    await checkAccessibility(page, "wizard-preview");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Cron (UTC)").fill("0 3 * * *");
    await expect.poll(() => page.locator("#schedule-words").textContent()).toContain("Every day at 03:00 UTC");
    await expect.poll(() => page.locator(".next-times li").count()).toBe(5);
    await checkAccessibility(page, "wizard-schedule");
    await page.getByRole("button", { name: "Create loader" }).click();
    await page.waitForURL(/\/loaders\/[0-9a-f-]{36}$/);
    await checkAccessibility(page, "loader");

    const loaders = await api("GET", `/workspaces/${workspaceId}/loaders`, ownerKey, undefined, workspaceId);
    const loader = (loaders.body as unknown as Array<Record<string, any>>).find((l) => l.name === "Items from the browser")!;
    expect(loader).toMatchObject({ loader_type: "rest_api", target_schema: "browser_demo", schedule: "0 3 * * *", status: "active", selected_streams: [{ name: "items", sync_mode: "full_refresh" }] });

    await page.getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 60_000 }).toBe("completed");
    expect(await page.locator("#run-rows").textContent()).toBe("250");
    expect(await page.locator('tr[data-stream="items"] [data-cell="rows"]').textContent()).toBe("250");
    await expect.poll(() => page.locator(".event-stream-completed").count(), { timeout: 10_000 }).toBe(1);
    await checkAccessibility(page, "run-completed");

    await page.goto(`${service.base}/loaders`);
    const row = page.locator("tr", { hasText: "Items from the browser" });
    expect(await row.locator(".num").textContent()).toBe("250");
    expect(await row.textContent()).toContain("Every day at 03:00 UTC");
    await checkAccessibility(page, "loaders");
    await context.close();
  }, 180_000);

  it("shows a failing run's error, and edits a secret without ever showing it", async () => {
    await seed("locked", { count: 20, auth: { type: "bearer", token: "the-right-token" } });
    const created = await createPagedLoader("Locked API", "locked", { auth: { type: "bearer", token: "a-wrong-token-0001" } });
    const loaderId = created.body!.id;
    const { context, page } = await signIn(ownerKey);
    await page.goto(`${service.base}/loaders/${loaderId}`);
    await page.getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(/\/runs\//);
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 60_000 }).toBe("failed");
    expect(await page.locator("#run-error").textContent()).toMatch(/401|credential|unauthori/i);
    expect(await page.locator('tr[data-stream="items"] [data-cell="message"]').textContent()).not.toBe("");
    await checkAccessibility(page, "run-failed");

    await page.goto(`${service.base}/loaders/${loaderId}`);
    const html = await page.content();
    expect(html).not.toContain("a-wrong-token-0001");
    const token = page.getByLabel(/^Token/);
    expect(await token.inputValue()).toBe("");
    expect(await token.getAttribute("placeholder")).toContain("leave blank to keep");
    await token.fill("the-right-token");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.locator("#edit-status").textContent()).toBe("Saved.");
    expect(await token.inputValue()).toBe("");
    expect(await page.content()).not.toContain("the-right-token");

    await page.getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(/\/runs\//);
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 60_000 }).toBe("completed");
    expect(await page.locator("#run-rows").textContent()).toBe("20");
    await context.close();
  }, 180_000);

  it("shows a run's schema changes, blocked then allowed once the policy is changed on the loader page", async () => {
    await seed("evolving", { count: 10 });
    const created = await createPagedLoader("Evolving API", "evolving", { schema_change_policy: "block" });
    const loaderId = created.body!.id;
    const { context, page } = await signIn(ownerKey);
    const runNow = async (status: string) => {
      await page.goto(`${service.base}/loaders/${loaderId}`);
      await page.getByRole("button", { name: "Run now" }).click();
      await page.waitForURL(/\/runs\//);
      await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 60_000 }).toBe(status);
    };
    await runNow("completed");
    expect(await page.locator("#run-schema-card").isHidden()).toBe(true);

    const touched = await fetch(`http://127.0.0.1:${service.fake.port}/t/evolving/_control/touch`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ids: [4], fields: { region: "eu" } }),
    });
    expect(touched.status).toBe(200);
    await runNow("failed");
    const blocked = page.locator("#run-schema-changes tbody tr");
    await expect.poll(() => blocked.count()).toBe(1);
    expect((await blocked.first().innerText()).replace(/\s+/g, " ").trim()).toBe("items region added (string) blocked");
    expect(await page.locator("#run-error").textContent()).toContain('schema change blocked by schema_change_policy "block"');
    await checkAccessibility(page, "run-schema-blocked");

    await page.goto(`${service.base}/loaders/${loaderId}`);
    const policy = page.getByLabel("When the source's schema changes");
    expect(await policy.inputValue()).toBe("block");
    await policy.selectOption("allow_all");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.locator("#edit-status").textContent()).toBe("Saved.");
    await runNow("completed");
    await expect.poll(() => page.locator("#run-schema-changes tbody tr").first().innerText()).toMatch(/region\s+added \(string\)\s+allowed/);
    await context.close();
  }, 180_000);

  it("shows a run's retries with their reasons as they happen, then its end", async () => {
    await seed("flaky", { count: 30 });
    const faults = await fetch(`http://127.0.0.1:${service.fake.port}/t/flaky/_control/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // Five 503s: the http client's five attempts are spent, so the engine schedules a retry of the chunk. Each says
      // Retry-After: 0, so the attempts and the retry come at once (a bare 500 is retried after full-jitter backoff,
      // 0-15 s in all, and the chunk after up to 16 s more).
      body: JSON.stringify({ fail_first: 5, status_first: 503, retry_after: 0 }),
    });
    expect(faults.status).toBe(200);
    const created = await createPagedLoader("Flaky API", "flaky");
    const { context, page } = await signIn(ownerKey);
    await page.goto(`${service.base}/loaders/${created.body!.id}`);
    await page.getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(/\/runs\//);
    await expect.poll(() => page.locator(".event-stream-retry_scheduled").count(), { timeout: 90_000 }).toBeGreaterThan(0);
    expect(await page.locator(".event-stream-retry_scheduled").first().textContent()).toMatch(/attempt 1 failed: .*503/);
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 90_000 }).toBe("completed");
    expect(await page.locator("#run-rows").textContent()).toBe("30");
    await expect.poll(() => page.locator(".event-run-ended").count(), { timeout: 10_000 }).toBe(1);
    await checkAccessibility(page, "run-retried");
    await context.close();
  }, 180_000);

  it("is used by keyboard alone, and a live run's counters never shift the layout", async () => {
    await seed("keyboard", { count: 600 });
    // 60 pages of 10, each answered after 40 ms: the run lasts seconds, so the page updates its counters many times.
    const slow = await fetch(`http://127.0.0.1:${service.fake.port}/t/keyboard/_control/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ slow_ms: 40 }),
    });
    expect(slow.status).toBe(200);
    const created = await createPagedLoader("Keyboard API", "keyboard");
    const { context, page } = await signIn(ownerKey);
    // Layout shifts (Chromium's Layout Instability API) that no input caused, summed as the page's CLS.
    await context.addInitScript(() => {
      // Runs in the page: its DOM types are not in this file's type-check, so the observer is typed by hand.
      type Shift = { value: number; hadRecentInput: boolean };
      type Observer = new (callback: (list: { getEntries(): unknown[] }) => void) => { observe(options: { type: string; buffered: boolean }): void };
      const scope = globalThis as unknown as { __cls: number; PerformanceObserver: Observer };
      scope.__cls = 0;
      new scope.PerformanceObserver((list) => {
        for (const entry of list.getEntries() as Shift[]) {
          if (!entry.hadRecentInput) scope.__cls += entry.value;
        }
      }).observe({ type: "layout-shift", buffered: true });
    });

    const focused = () => page.evaluate(() => {
      const active = (globalThis as unknown as { document: { activeElement: { textContent: string | null; tagName: string } | null } }).document.activeElement;
      return `${active?.tagName ?? ""}:${(active?.textContent ?? "").trim()}`;
    });
    /** Presses Tab until the focused element matches, failing after `limit` presses (a trap or a missing control). */
    const tabTo = async (pattern: RegExp, limit = 40) => {
      for (let presses = 0; presses < limit; presses++) {
        await page.keyboard.press("Tab");
        if (pattern.test(await focused())) return;
      }
      throw new Error(`Tab never reached ${pattern} (last focus ${await focused()})`);
    };

    await page.goto(`${service.base}/loaders`);
    // The first Tab lands on the skip link, which moves focus past the navigation.
    await page.keyboard.press("Tab");
    expect(await focused()).toMatch(/^A:Skip to content/);
    await page.keyboard.press("Enter");
    await tabTo(/^A:Keyboard API$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/loaders/${created.body!.id}$`));
    await tabTo(/^BUTTON:Run now$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/runs\//);
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 90_000 }).toBe("running");
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 90_000 }).toBe("completed");
    expect(await page.locator("#run-rows").textContent()).toBe("600");
    const rowsEvents = await page.locator(".event-stream-rows_written").count();
    const cls = await page.evaluate(() => (globalThis as unknown as { __cls: number }).__cls);
    expect(cls, `layout shift over ${rowsEvents} counter updates`).toBeLessThan(0.01);

    // The wizard's first step by keyboard: arrows move between the type radios, Enter goes on.
    await page.goto(`${service.base}/loaders/new`);
    await tabTo(/^INPUT:/);
    for (let presses = 0; presses < 20 && !(await page.getByRole("radio", { name: /REST API/i }).isChecked()); presses++) {
      await page.keyboard.press("ArrowDown");
    }
    expect(await page.getByRole("radio", { name: /REST API/i }).isChecked()).toBe(true);
    await tabTo(/^BUTTON:Next$/);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByLabel("Base url").isVisible()).toBe(true);
    await context.close();
  }, 180_000);

  it("fits a phone's width on every page", async () => {
    const { context, page } = await signIn(ownerKey, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const loaders = (await api("GET", `/workspaces/${workspaceId}/loaders`, ownerKey, undefined, workspaceId)).body as unknown as Array<{ id: string; name: string }>;
    const loader = loaders.find((l) => l.name === "Keyboard API")!;
    const runs = (await api("GET", `/workspaces/${workspaceId}/loaders/${loader.id}/runs`, ownerKey, undefined, workspaceId)).body as unknown as Array<{ id: string }>;
    const paths = ["/loaders", "/loaders/new", `/loaders/${loader.id}`, `/loaders/${loader.id}/runs/${runs[0]!.id}`, "/sources", "/api-keys", "/webhooks", "/usage"];
    for (const path of paths) {
      await page.goto(`${service.base}${path}`);
      // Wide tables scroll inside their own box; the page itself never scrolls sideways.
      const overflow = await page.evaluate(() => {
        const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      expect(overflow, `horizontal overflow of ${path} at 390 px`).toBeLessThanOrEqual(0);
      await checkAccessibility(page, `phone${path.replace(/\/runs\/[0-9a-f-]{36}/, "/run").replace(/\/[0-9a-f-]{36}/, "/one").replaceAll("/", "-")}`);
    }
    await context.close();
  }, 120_000);

  it("adds a webhook endpoint, shows its secret once, and disables it", async () => {
    const { context, page } = await signIn(ownerKey);
    await page.goto(`${service.base}/webhooks`);
    await checkAccessibility(page, "webhooks-empty");
    await page.getByLabel("URL").fill("not a url");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect.poll(() => page.locator('[data-path="url"] + .field-error').count()).toBe(1);
    await page.getByLabel("URL").fill("http://127.0.0.1:9/hooks/loaders");
    await page.getByLabel("run.completed").uncheck();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect.poll(() => page.locator("#new-webhook-secret").textContent()).toMatch(/^whsec_/);
    const listed = await api("GET", `/workspaces/${workspaceId}/webhooks`, ownerKey, undefined, workspaceId);
    const hooks = listed.body as unknown as Array<{ id: string; url: string; events: string[]; status: string }>;
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ url: "http://127.0.0.1:9/hooks/loaders", status: "active" });
    expect(hooks[0]!.events).not.toContain("run.completed");
    await page.goto(`${service.base}/webhooks`);
    expect(await page.content()).not.toContain("whsec_");
    await page.getByRole("button", { name: "Disable" }).click();
    await expect.poll(async () => ((await api("GET", `/workspaces/${workspaceId}/webhooks/${hooks[0]!.id}`, ownerKey, undefined, workspaceId)).body as { status: string }).status).toBe("disabled");
    await page.getByRole("button", { name: "Enable" }).waitFor();
    await checkAccessibility(page, "webhooks");
    await context.close();
  }, 120_000);

  it("gives a member no edit buttons, refuses a forged write, and signs out", async () => {
    const member = await api("POST", `/workspaces/${workspaceId}/api-keys`, ownerKey, { name: "viewer", role: "member" }, workspaceId);
    expect(member.status).toBe(201);
    const { context, page } = await signIn(member.body!.key);
    const loaders = (await api("GET", `/workspaces/${workspaceId}/loaders`, ownerKey, undefined, workspaceId)).body as unknown as Array<{ id: string; name: string }>;
    const loader = loaders.find((l) => l.name === "Items from the browser")!;
    await page.goto(`${service.base}/loaders`);
    expect(await page.getByRole("link", { name: "New loader" }).count()).toBe(0);
    await page.goto(`${service.base}/loaders/${loader.id}`);
    expect(await page.getByRole("button", { name: "Delete…" }).count()).toBe(0);
    expect(await page.locator("#edit-loader").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Run now" }).count()).toBe(1);
    await checkAccessibility(page, "loader-member");
    for (const path of ["/sources", "/api-keys", "/webhooks"]) {
      await page.goto(`${service.base}${path}`);
      await checkAccessibility(page, `member${path.replace("/", "-")}`);
    }

    // A write without the session's CSRF token is refused, and a member's write with it is refused by role.
    const forged = await page.evaluate(async ({ ws, id }) => {
      const response = await fetch(`/api/v1/workspaces/${ws}/loaders/${id}`, { method: "DELETE", headers: { "X-Workspace-ID": ws } });
      return { status: response.status, body: (await response.json()) as { error: string } };
    }, { ws: workspaceId, id: loader.id });
    expect(forged.status).toBe(403);
    expect(forged.body.error).toMatch(/CSRF/);
    const byRole = await page.evaluate(async ({ ws, id }) => {
      // Runs in the page: the DOM is there even though this file is type-checked without its types.
      const page = globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string } } };
      const csrf = page.document.querySelector('meta[name="loaders-csrf"]').getAttribute("content");
      const response = await fetch(`/api/v1/workspaces/${ws}/loaders/${id}`, { method: "DELETE", headers: { "X-Workspace-ID": ws, "X-CSRF-Token": csrf } });
      return response.status;
    }, { ws: workspaceId, id: loader.id });
    expect(byRole).toBe(403);
    expect((await api("GET", `/workspaces/${workspaceId}/loaders/${loader.id}`, ownerKey, undefined, workspaceId)).status).toBe(200);

    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "loaders_session")!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict" });
    expect(session.value).not.toContain(member.body!.key);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin$/);
    expect((await context.cookies()).some((cookie) => cookie.name === "loaders_session")).toBe(false);
    await checkAccessibility(page, "signin");
    await page.goto(`${service.base}/loaders`);
    await page.waitForURL(/\/signin/);
    await context.close();
  }, 120_000);

  it("sets a strict Content-Security-Policy that no page violated", async () => {
    const response = await fetch(`${service.base}/signin`);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(cspViolations).toEqual([]);
  });

  it("charts the runs' rows and estimated cost on the Usage page, with the run's own usage on its page", async () => {
    const loaders = (await api("GET", `/workspaces/${workspaceId}/loaders`, ownerKey, undefined, workspaceId)).body as unknown as Array<{ id: string; name: string }>;
    const loader = loaders.find((l) => l.name === "Items from the browser")!;
    const runs = (await api("GET", `/workspaces/${workspaceId}/loaders/${loader.id}/runs`, ownerKey, undefined, workspaceId)).body as unknown as Array<{
      id: string;
      status: string;
      rows_loaded: number;
      usage: { rows_written: number; source_requests: number };
      estimated_cost_usd: number;
    }>;
    const done = runs.find((r) => r.status === "completed")!;
    expect(done.rows_loaded).toBeGreaterThan(0);
    expect(done.usage.rows_written).toBe(done.rows_loaded);
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const report = (await api("GET", `/workspaces/${workspaceId}/usage?from=${from}&to=${today}`, ownerKey, undefined, workspaceId)).body as unknown as {
      runs: number;
      usage: { rows_written: number; source_requests: number };
      estimated_cost_usd: number;
      loaders: Array<{ loader_id: string; usage: { rows_written: number }; estimated_cost_usd: number }>;
    };
    expect(report.runs).toBeGreaterThan(0);

    const { context, page } = await signIn(ownerKey);
    await page.goto(`${service.base}/usage?from=${from}&to=${today}`);
    expect(await page.locator("#usage-runs").textContent()).toBe(report.runs.toLocaleString("en-US"));
    expect(await page.locator("#usage-rows").textContent()).toBe(report.usage.rows_written.toLocaleString("en-US"));
    expect(await page.locator("#usage-requests").textContent()).toBe(report.usage.source_requests.toLocaleString("en-US"));
    expect(await page.locator("#usage-cost").textContent()).toBe(`$${report.estimated_cost_usd.toFixed(6)}`);
    // Four charts with accessible names; a bar per loader, whose title carries the figure the table shows.
    for (const name of ["Rows written per day", "Estimated cost per day", "Rows written per loader", "Estimated cost per loader"]) {
      expect(await page.getByRole("img", { name: new RegExp(`^${name}`) }).count(), name).toBe(1);
    }
    const ours = report.loaders.find((l) => l.loader_id === loader.id)!;
    expect(await page.locator(`#chart-rows-per-loader rect[data-label="${loader.name}"] title`).textContent()).toBe(`${loader.name}: ${ours.usage.rows_written.toLocaleString("en-US")} rows`);
    const row = page.locator(`#usage-loaders tr[data-usage-row="${loader.name}"]`);
    expect(await row.locator('[data-cell="rows"]').textContent()).toBe(ours.usage.rows_written.toLocaleString("en-US"));
    expect(await row.locator('[data-cell="cost"]').textContent()).toBe(`$${ours.estimated_cost_usd.toFixed(6)}`);
    await checkAccessibility(page, "usage");

    // A range with no runs says what to do; a reversed one says why it was not used.
    await page.goto(`${service.base}/usage?from=2020-01-01&to=2020-01-31`);
    expect(await page.locator(".empty").textContent()).toContain("No runs between 2020-01-01 and 2020-01-31");
    await checkAccessibility(page, "usage-empty");
    await page.goto(`${service.base}/usage?from=${today}&to=${from}`);
    expect(await page.locator("#usage-error").textContent()).toContain("must not be before from");

    await page.goto(`${service.base}/loaders/${loader.id}/runs/${done.id}`);
    expect(await page.locator('[data-usage="rows_written"]').textContent()).toBe(done.rows_loaded.toLocaleString("en-US"));
    expect(await page.locator('[data-usage="source_requests"]').textContent()).toBe(done.usage.source_requests.toLocaleString("en-US"));
    expect(await page.locator("#run-cost").textContent()).toBe(`$${done.estimated_cost_usd.toFixed(6)}`);
    await checkAccessibility(page, "run-usage");
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 120_000);
});
