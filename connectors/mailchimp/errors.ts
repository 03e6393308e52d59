/**
 * Mailchimp's failure shapes (research §6 "Errors"): problem documents `{type, title, status, detail, instance}`.
 * Asked before the kit's default classification; 429 (the 10-connection limit, no Retry-After) and 5xx keep the
 * default, which retries them with backoff.
 */
import { ConnectorError } from "../kit/errors";

function problem(body: string): { title?: string; detail?: string } {
  try {
    const parsed = JSON.parse(body) as { title?: unknown; detail?: unknown };
    return {
      ...(typeof parsed?.title === "string" ? { title: parsed.title } : {}),
      ...(typeof parsed?.detail === "string" ? { detail: parsed.detail } : {}),
    };
  } catch {
    return {};
  }
}

export function classifyMailchimpError(status: number, body: string, _headers: Headers): ConnectorError | undefined {
  const { title, detail } = problem(body);
  const said = [title, detail].filter(Boolean).join(": ");
  const suffix = said ? ` — ${said}` : "";
  if (status === 401) {
    return new ConnectorError(
      "configuration",
      `Mailchimp rejected the credentials (HTTP 401)${suffix}. Check api_key (its -usX suffix names the data center) or reconnect the OAuth app.`,
      { status },
    );
  }
  if (status === 403) {
    return new ConnectorError("configuration", `Mailchimp refused the request (HTTP 403)${suffix}. The user behind the key may be disabled or lack access.`, { status });
  }
  return undefined;
}
