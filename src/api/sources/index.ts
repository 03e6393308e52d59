import { createSourceRoute } from "./create";
import { deleteSourceRoute } from "./delete";
import { getSourceRoute } from "./get";
import { listSourcesRoute } from "./list";
import { testNewSourceRoute } from "./test-new";
import { testSavedSourceRoute } from "./test-saved";
import { updateSourceRoute } from "./update";

// The literal /sources/test must be registered before /sources/{sourceId} routes could shadow it.
export const sourceRoutes = [
  listSourcesRoute,
  createSourceRoute,
  testNewSourceRoute,
  getSourceRoute,
  updateSourceRoute,
  deleteSourceRoute,
  testSavedSourceRoute,
];
