/**
 * A webhook receiver for the webhook tests: `POST /r/{name}` records the delivery (headers and raw body) and answers
 * 200, or the status it was told to fail with for its next N deliveries. Control (never recorded):
 * `POST /r/{name}/_control/fail {"count", "status"}`, `GET /r/{name}/_control/received`. Answers for the
 * production host hooks.example.com through HOST_OVERRIDES.
 */
import { createServer } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";

interface Receiver {
  failures: number;
  status: number;
  received: Array<{ headers: Record<string, string>; body: string; answered: number }>;
}

export async function startWebhookReceiver(port = 0): Promise<RunningFake> {
  const receivers = new Map<string, Receiver>();
  const receiver = (name: string) => {
    let r = receivers.get(name);
    if (!r) receivers.set(name, (r = { failures: 0, status: 500, received: [] }));
    return r;
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = /^\/r\/([\w-]{1,64})(\/_control\/(fail|received))?$/.exec(url.pathname);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (!match) return send(404, { error: "not found" });
    const r = receiver(match[1]!);
    const body = await readBody(req);
    if (match[3] === "fail" && req.method === "POST") {
      const { count = 0, status = 500 } = JSON.parse(body || "{}") as { count?: number; status?: number };
      r.failures = count;
      r.status = status;
      return send(200, { failures: count, status });
    }
    if (match[3] === "received" && req.method === "GET") return send(200, r.received);
    if (req.method !== "POST") return send(405, { error: "POST only" });
    const answered = r.failures > 0 ? r.status : 200;
    if (r.failures > 0) r.failures -= 1;
    r.received.push({ headers: lowercaseHeaders(req), body, answered });
    return send(answered, answered === 200 ? { ok: true } : { error: "injected failure" });
  });
  const bound = await listen(server, port);
  return { name: "webhook-receiver", port: bound, hosts: ["hooks.example.com"], close: () => stop(server) };
}
