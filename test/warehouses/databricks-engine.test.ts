/** Databricks end to end through the engine: the shared scenario (staged-engine-scenario.ts) against the Databricks fake. */
import { engineScenario } from "./staged-engine-scenario";
import { databricksUnderTest } from "./staged-warehouses";

engineScenario("Databricks", () => databricksUnderTest());
