/** Snowflake end to end through the engine: the shared scenario (staged-engine-scenario.ts) against the Snowflake fake. */
import { engineScenario } from "./staged-engine-scenario";
import { snowflakeUnderTest } from "./staged-warehouses";

engineScenario("Snowflake", () => snowflakeUnderTest());
