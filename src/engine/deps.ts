/**
 * What the engine runs on besides its bindings: the clock (waits, jitter) and the connector registry. The queue loop
 * passes them down to every chunk. The Worker runs on `engineDeps`; a test replaces one member for the length of
 * the test (a clock that does not sleep through backoff, a connector of its own) and puts it back.
 */
import type { Connector, JsonObject } from "../../connectors/kit/contract";
import { connectorFor } from "../../connectors/registry";
import { type EngineClock, systemClock } from "./clock";

export interface EngineDeps {
  clock: EngineClock;
  connectorFor(type: string): Connector<JsonObject> | undefined;
}

export const engineDeps: EngineDeps = { clock: systemClock, connectorFor };
