import { cancelRunRoute } from "./cancel";
import { getRunRoute } from "./get";
import { listRunsRoute } from "./list";

export const runRoutes = [listRunsRoute, getRunRoute, cancelRunRoute];
