import { listLoaderTypesRoute } from "./list";

export const loaderTypeRoutes = [listLoaderTypesRoute];
