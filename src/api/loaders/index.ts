import { createLoaderRoute } from "./create";
import { deleteLoaderRoute } from "./delete";
import { getLoaderRoute } from "./get";
import { listLoadersRoute } from "./list";
import { triggerLoaderRoute } from "./trigger";
import { updateLoaderRoute } from "./update";

export const loaderRoutes = [listLoadersRoute, createLoaderRoute, getLoaderRoute, updateLoaderRoute, deleteLoaderRoute, triggerLoaderRoute];
