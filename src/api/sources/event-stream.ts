import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppEnv } from "../types";

/** One `step` event per check (network, authentication, authorization, query), then one `result` event. */
export function connectionTestStream<S, R>(c: Context<AppEnv>, steps: AsyncGenerator<S, R>) {
  return streamSSE(c, async (stream) => {
    let next = await steps.next();
    while (!next.done) {
      await stream.writeSSE({ event: "step", data: JSON.stringify(next.value) });
      next = await steps.next();
    }
    await stream.writeSSE({ event: "result", data: JSON.stringify(next.value) });
  });
}
