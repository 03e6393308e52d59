import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("runs in workerd with migrated D1", async () => {
  const r = await env.DB.prepare("select count(*) as n from workspaces").first<{ n: number }>();
  expect(r?.n).toBe(0);
  const res = await exports.default.fetch("http://x/");
  expect(await res.text()).toBe("ok");
});
