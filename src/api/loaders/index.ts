import { checkNewLoaderRoute } from "./check-new";
import { checkSavedLoaderRoute } from "./check-saved";
import { createLoaderRoute } from "./create";
import { deleteLoaderRoute } from "./delete";
import { discoverLoaderRoute, loaderStreamsRoute } from "./discover";
import { getLoaderRoute } from "./get";
import { listLoadersRoute } from "./list";
import { previewLoaderRoute } from "./preview";
import { resetStreamRoute } from "./reset-stream";
import { triggerLoaderRoute } from "./trigger";
import { updateLoaderRoute } from "./update";

// The literal /loaders/check, /discover and /preview come before the /loaders/{loaderId} routes.
export const loaderRoutes = [
  listLoadersRoute,
  createLoaderRoute,
  checkNewLoaderRoute,
  discoverLoaderRoute,
  previewLoaderRoute,
  getLoaderRoute,
  updateLoaderRoute,
  deleteLoaderRoute,
  triggerLoaderRoute,
  checkSavedLoaderRoute,
  loaderStreamsRoute,
  resetStreamRoute,
];
