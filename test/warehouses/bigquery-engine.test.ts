/** BigQuery end to end through the engine: the shared scenario (staged-engine-scenario.ts) against the BigQuery fake. */
import { engineScenario } from "./staged-engine-scenario";
import { bigqueryUnderTest } from "./staged-warehouses";

engineScenario("BigQuery", () => bigqueryUnderTest());
