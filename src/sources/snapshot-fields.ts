// Field readers for snapshot decoding: each refuses what is not of the expected shape, saying which
// field, with a SourceError (SNAPSHOT_INVALID). Pure.
import type { JsonObject } from "../core/types.js";
import { SourceError } from "./source-error.js";

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return invalid(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

export function object(value: unknown, what: string): JsonObject {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as JsonObject;
  return invalid(`${what} is not an object`);
}

export function array(value: unknown, what: string): unknown[] {
  return Array.isArray(value) ? value : invalid(`${what} is not a list`);
}

export function string(value: unknown, what: string): string {
  return typeof value === "string" && value !== "" ? value : invalid(`${what} is not a non-empty string`);
}

export function number(value: unknown, what: string): number {
  return typeof value === "number" && Number.isFinite(value) ? value : invalid(`${what} is not a number`);
}

export function invalid(reason: string): never {
  throw new SourceError("SNAPSHOT_INVALID", `snapshot ignored: ${reason}`);
}
