/**
 * Warehouse ("source") types and their config schemas (DESIGN §2; SignalSmith's field names,
 * research/signalsmith.md §3.3). `d1` is the Worker's own WAREHOUSE database and takes no config.
 */
import { warehouseSpecs } from "../../warehouses/specs";

// Each type's config is defined once, beside its adapter (src/warehouses/<type>/spec.ts).
export const sourceTypes = warehouseSpecs;

export type SourceType = keyof typeof sourceTypes;
export const sourceTypeNames = Object.keys(sourceTypes) as SourceType[];

export function isSourceType(value: string): value is SourceType {
  return value in sourceTypes;
}
