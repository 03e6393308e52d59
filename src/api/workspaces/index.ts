import { createWorkspaceRoute } from "./create";
import { listWorkspacesRoute } from "./list";

export const workspaceRoutes = [listWorkspacesRoute, createWorkspaceRoute];
