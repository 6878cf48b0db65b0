// Shared helpers for the config tests: a fixed origin that is no path of the test machine, and a
// serializer that shows Maps and Sets as arrays (JSON drops them otherwise).
import { ConfigError, parseConfig } from "../../src/config/load-config.js";

export const ORIGIN = { file: "config.yaml", dir: "/etc/driftguard" };

export function toPlain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, item: unknown) =>
      item instanceof Map ? [...item] : item instanceof Set ? [...item] : item,
    ),
  );
}

/** The problems parseConfig reports for `text`; fails the test when it accepts the config. */
export function problemsOf(text: string): readonly string[] {
  try {
    parseConfig(text, ORIGIN);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("config was accepted");
}

/** A valid source, to which a test adds what it checks. */
export const SOURCE = "  - { name: apps, url: https://git.example.com/deploy.git, paths: [apps] }\n";
