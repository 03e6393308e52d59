/**
 * A ConnectorContext for a one-off call made while serving a request (discovery at save time, check, preview):
 * the kit's http client with this deployment's host rules, no token keeper (nothing is kept between requests), and
 * a deadline, so a source that does not answer costs the request a bounded wait, not a hung connection.
 */
import type { ConnectorContext } from "../../../connectors/kit/contract";
import { createHttpClient } from "../../../connectors/kit/http";
import type { ServiceContext } from "../context";

export const ONE_OFF_DEADLINE_MS = 20_000;

export function oneOffConnectorContext(ctx: ServiceContext, deadlineMs = ONE_OFF_DEADLINE_MS): ConnectorContext {
  const signal = AbortSignal.timeout(deadlineMs);
  const { HOST_OVERRIDES, development } = ctx.settings;
  return {
    http: createHttpClient({ hostOverrides: HOST_OVERRIDES, development, signal }),
    signal,
    now: () => new Date(),
    development,
  };
}
