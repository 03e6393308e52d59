/**
 * Klaviyo's failure shapes (research §5 "Errors"; https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling),
 * asked before the kit's default classification, which already quotes `errors[0].detail` and takes Retry-After from
 * a 429 (waited exactly, never less). Everything else (5xx, 404) keeps the default.
 */
import { ConnectorError } from "../kit/errors";
import { apiMessage } from "../kit/http-errors";

function firstError(body: string): { code?: string; detail?: string } {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: unknown; detail?: unknown }> };
    const first = parsed?.errors?.[0];
    return {
      ...(typeof first?.code === "string" ? { code: first.code } : {}),
      ...(typeof first?.detail === "string" ? { detail: first.detail } : {}),
    };
  } catch {
    return {};
  }
}

export function classifyKlaviyoError(status: number, body: string, _headers: Headers): ConnectorError | undefined {
  const { code, detail } = firstError(body);
  const said = detail ?? apiMessage(body);
  const suffix = said ? `: ${said}` : "";
  if (status === 401) {
    return new ConnectorError("configuration", `Klaviyo rejected the credentials (HTTP 401${code ? `, ${code}` : ""})${suffix}. Set a valid private api_key, or reconnect the OAuth app.`, { status });
  }
  if (status === 403) {
    return new ConnectorError("configuration", `Klaviyo refused the request (HTTP 403${code ? `, ${code}` : ""})${suffix}. Give the key or app the read scope of this stream.`, { status });
  }
  if (status === 410) {
    return new ConnectorError("configuration", `Klaviyo retired the API revision this loader sends (HTTP 410)${suffix}. Set api_version to a current revision.`, { status });
  }
  if (status === 400) {
    return new ConnectorError("configuration", `Klaviyo rejected the request (HTTP 400${code ? `, ${code}` : ""})${suffix}`, { status });
  }
  return undefined;
}
