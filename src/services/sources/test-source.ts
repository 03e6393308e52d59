import { createWarehouse, warehouseDeps } from "../../warehouses";
import type { ConnectionTestStep } from "../../warehouses/contract";
import { requireRole, type ServiceContext } from "../context";
import { recordSourceTest } from "./crud";
import { openSourceConfig, requireSource, requireSourceType, validateSourceConfig } from "./source-store";

export interface ConnectionTestResult {
  success: boolean;
  message: string;
}

type Obj = Record<string, unknown>;

async function* runSteps(ctx: ServiceContext, sourceType: string, config: Obj): AsyncGenerator<ConnectionTestStep, ConnectionTestResult> {
  const adapter = createWarehouse({ source_type: sourceType, config }, warehouseDeps({ warehouseDb: ctx.env.WAREHOUSE, development: ctx.settings.development, hostOverrides: ctx.settings.HOST_OVERRIDES }));
  let failed: ConnectionTestStep | undefined;
  try {
    for await (const step of adapter.testConnection()) {
      if (step.status === "failed") failed ??= step;
      yield step;
    }
  } finally {
    await adapter.close();
  }
  return failed ? { success: false, message: `${failed.step} failed: ${failed.message}` } : { success: true, message: "connection succeeded" };
}

/** Tests a connection before it is saved (POST .../sources/test); validation errors surface as a 400 first. */
export async function testNewSource(ctx: ServiceContext, input: { source_type: string; config?: Obj }) {
  requireRole(ctx, "admin");
  const type = requireSourceType(input.source_type);
  const config = validateSourceConfig(type, input.config, ctx.settings.development);
  return runSteps(ctx, type, config);
}

/** Tests a saved source and records the outcome in its status / status_error. */
export async function testSavedSource(ctx: ServiceContext, workspaceId: string, sourceId: string) {
  requireRole(ctx, "admin");
  const row = await requireSource(ctx, workspaceId, sourceId);
  const config = await openSourceConfig(ctx, row);
  const steps = runSteps(ctx, row.sourceType, config);
  return (async function* () {
    let next = await steps.next();
    while (!next.done) {
      yield next.value;
      next = await steps.next();
    }
    await recordSourceTest(ctx, row, next.value.success, next.value.message);
    return next.value;
  })();
}
