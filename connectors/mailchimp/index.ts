/**
 * `mailchimp`: the catalog of spec.ts read through the kit — one http client per read on the account's data center
 * (mailchimpClient), the endpoint table (streams.ts) and the read plans (read.ts).
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { mailchimpClient } from "./client";
import { readMailchimpStream } from "./read";
import { type MailchimpConfig, mailchimpSpec } from "./spec";
import { mailchimpStream } from "./streams";

export const mailchimpConnector = {
  ...mailchimpSpec,

  /** GET /3.0/ping on the key's data center: proves the key, the data center and the account. */
  async check(ctx, config) {
    await (await mailchimpClient(ctx, config)).http.getJson({ url: "/ping" });
  },

  async *read(ctx, config, request) {
    const stream = mailchimpStream(request.stream.name);
    if (!stream) throw new ConnectorError("configuration", `"${request.stream.name}" is not a Mailchimp stream; see GET /loader-types for the catalog`);
    // The data center travels in the checkpoint, so an OAuth read asks the metadata endpoint once, not every chunk.
    const known = typeof request.checkpoint?.dc === "string" ? request.checkpoint.dc : undefined;
    const { http, dc } = await mailchimpClient(ctx, config, known);
    for await (const page of readMailchimpStream(ctx, http, config, request, stream)) yield { ...page, checkpoint: { ...page.checkpoint, dc } };
  },
} satisfies Connector<MailchimpConfig>;
