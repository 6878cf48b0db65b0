// The one config loader (STYLE.md): reads the file once, reports every problem with its path, and
// returns a frozen Config. Nothing in src/config reads the environment; the CLI passes what it needs.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDocument, type YAMLError } from "yaml";
import { describeError } from "../errors.js";
import { buildConfig } from "./build-config.js";
import { checkCrossFieldRules } from "./checks.js";
import { ConfigError } from "./errors.js";
import { deepFreeze } from "./freeze.js";
import { formatProblem, type Problem, problemFromAjv } from "./problems.js";
import type { Config, RawConfig } from "./types.js";
import { validateConfig } from "./validator.js";

export { ConfigError } from "./errors.js";
export type { Config } from "./types.js";

export interface ConfigOrigin {
  /** How messages name the file (as the user gave it). */
  file: string;
  /** Folder that relative paths in the config are resolved against. */
  dir: string;
}

export function loadConfig(file: string): Config {
  return parseConfig(readConfigFile(file), { file, dir: dirname(resolve(file)) });
}

export function parseConfig(text: string, origin: ConfigOrigin): Config {
  const data = parseYaml(text, origin.file);
  const problems = validate(data);
  if (problems.length > 0) throw new ConfigError(origin.file, problems);
  return deepFreeze(buildConfig(data as RawConfig, origin.dir));
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "is a folder, not a file",
  EACCES: "permission denied",
};

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const reason = READ_ERRORS[code] ?? describeError(error);
    throw new ConfigError(file, [`cannot read the file: ${reason}`], { cause: error, unreadable: true });
  }
}

/**
 * YAML 1.2, unlike the manifests (docs/contract.md §2 reads those as kubectl does, YAML 1.1): here `mode: off` must
 * stay the string "off", which YAML 1.1 would turn into false. Duplicate keys are errors.
 */
function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map(describeYamlError));
  try {
    // An empty file is an empty config, so that the problem reported is the missing `sources`.
    return dropNullKeys(doc.toJS({ maxAliasCount: 100 }) ?? {});
  } catch (error) {
    // toJS throws only on alias bombs (more expansions than maxAliasCount).
    throw new ConfigError(file, [`cannot read YAML: ${describeError(error)}`], { cause: error });
  }
}

/**
 * `exemptions:` with every entry commented out reads as null. As in Kubernetes and Helm, a null key
 * means "not set" (its default applies) rather than "must be an array".
 */
function dropNullKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullKeys);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).filter(([, item]) => item !== null);
  return Object.fromEntries(entries.map(([key, item]) => [key, dropNullKeys(item)]));
}

function describeYamlError(error: YAMLError): string {
  const where = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : "YAML";
  if (error.code === "MULTIPLE_DOCS") return `${where}: the config must be a single YAML document`;
  // The yaml package appends ` at line L, column C:` and a source excerpt; keep the reason only.
  const reason = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
  return `${where}: ${reason}`;
}

/** Schema and cross-field problems together, in path order, each once. */
function validate(data: unknown): string[] {
  const schemaProblems = validateConfig(data)
    ? []
    : (validateConfig.errors ?? []).map(problemFromAjv).filter((problem) => problem !== undefined);
  const problems: Problem[] = [...schemaProblems, ...checkCrossFieldRules(data)];
  const texts = [...new Set(problems.map(formatProblem))];
  return texts.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
