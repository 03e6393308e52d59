import { getUsageRoute } from "./get";

/** What the workspace's runs cost (issue 15 item 7): counts summed per workspace, loader and day. */
export const usageRoutes = [getUsageRoute];
