import { cancelRunRoute } from "./cancel";
import { runEventsRoute, runLogsRoute } from "./events";
import { getRunRoute } from "./get";
import { listRunsRoute } from "./list";

export const runRoutes = [listRunsRoute, getRunRoute, cancelRunRoute, runLogsRoute, runEventsRoute];
