/**
 * `ga4`: the reports of spec.ts (built-in and the config's custom ones) read with runReport (read.ts) through the
 * GA4 client (client.ts: credentials, errors, the property's token quota). `check` and `discover` ask each property's
 * metadata: it proves access, and a custom report naming a dimension or metric the property does not have is a
 * configuration error when the loader is saved rather than a failed run.
 */
import type { Connector, ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { ga4Client } from "./client";
import { readGa4Report } from "./read";
import { type Ga4Config, ga4ReportNamed, ga4Spec } from "./spec";

interface Metadata {
  dimensions?: Array<{ apiName?: string }>;
  metrics?: Array<{ apiName?: string }>;
}

async function validate(ctx: ConnectorContext, config: Ga4Config): Promise<void> {
  const http = ga4Client(ctx, config);
  for (const property of config.property_ids) {
    const metadata = await http.getJson<Metadata>({ url: `/properties/${property}/metadata` });
    const dimensions = new Set((metadata.dimensions ?? []).map((d) => d.apiName));
    const metrics = new Set((metadata.metrics ?? []).map((m) => m.apiName));
    for (const report of config.custom_reports ?? []) {
      const unknown = [...report.dimensions.filter((d) => !dimensions.has(d)).map((d) => `dimension ${d}`), ...report.metrics.filter((m) => !metrics.has(m)).map((m) => `metric ${m}`)];
      if (unknown.length) {
        throw new ConnectorError(
          "configuration",
          `custom report "${report.name}": property ${property} has no ${unknown.join(", ")}. Use API names from GA4's Dimensions & Metrics Explorer (custom ones as customEvent:<parameter>).`,
        );
      }
    }
  }
}

export const ga4Connector = {
  ...ga4Spec,

  check: validate,

  async discover(ctx, config) {
    await validate(ctx, config);
    return ga4Spec.streamsFromConfig(config);
  },

  async *read(ctx, config, request) {
    const report = ga4ReportNamed(config, request.stream.name);
    if (!report) throw new ConnectorError("configuration", `"${request.stream.name}" is neither a built-in GA4 report nor one of this loader's custom_reports`);
    yield* readGa4Report(ctx, ga4Client(ctx, config), config, request, report);
  },
} satisfies Connector<Ga4Config>;
