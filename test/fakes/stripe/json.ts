export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** Reads a string field; the fake's own records always carry the fields it asks for. */
export function text(object: JsonObject, key: string): string {
  const value = object[key];
  if (typeof value !== "string") throw new Error(`field ${key} is not a string`);
  return value;
}

export function num(object: JsonObject, key: string): number {
  const value = object[key];
  if (typeof value !== "number") throw new Error(`field ${key} is not a number`);
  return value;
}
