// The rendered corpus beside the repository (../shared/corpus-rendered): real Kustomize overlays and Helm
// charts, each with the stored stdout of its render command. The commands are read from its README's
// table and turned into driftguard app configs, so that a test renders exactly what the table says.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, resolve } from "node:path";
import { stringify } from "yaml";
import type { AppConfig } from "../../src/sources/types.js";

export const CORPUS_RENDERED_DIR = resolve(import.meta.dirname, "../../../shared/corpus-rendered");
export const corpusRenderedPresent = existsSync(join(CORPUS_RENDERED_DIR, "README.md"));
export const CORPUS_RENDERED_SKIP_REASON =
  "../shared/corpus-rendered is not beside the repository: rendered corpus tests skipped";

export interface RenderCase {
  /** `<owner>__<repo>`: a folder of the corpus, the repository root of the case. */
  source: string;
  /** `RENDERED/<name>.yaml` relative to the source folder. */
  output: string;
  command: string;
  app: AppConfig;
}

/** Every render of the README's table with a stored output. */
export function renderCases(): RenderCase[] {
  const readme = readFileSync(join(CORPUS_RENDERED_DIR, "README.md"), "utf8");
  const cases: RenderCase[] = [];
  for (const line of readme.split("\n")) {
    const cells = line.split(" | ");
    const source = /\[`([^`]+)`\]/.exec(cells[0] ?? "")?.[1];
    const command = /^`(.+)`$/.exec(cells[2]?.trim() ?? "")?.[1];
    const output = /^`(RENDERED\/[^`]+)`$/.exec(cells[3]?.trim() ?? "")?.[1];
    if (source === undefined || command === undefined || output === undefined) continue;
    cases.push({ source, output, command, app: appOf(command) });
  }
  return cases;
}

/** `kustomize build X` or `helm template NAME PATH --namespace NS ... [-f F]... [--set K=V]...`. */
export function appOf(command: string): AppConfig {
  const words = shellWords(command);
  const base = {
    namespace: "default",
    helm: { valueFiles: [], apiVersions: [], skipTests: true, includeCRDs: false },
  };
  if (words[0] === "kustomize") return { ...base, path: words[2] ?? ".", type: "kustomize" };
  const [, , releaseName = "", path = "."] = words;
  const valueFiles: string[] = [];
  const values: Record<string, unknown> = {};
  let namespace = "default";
  let kubeVersion: string | undefined;
  let skipTests = false;
  for (let i = 4; i < words.length; i += 1) {
    const word = words[i];
    const next = words[i + 1] ?? "";
    if (word === "--namespace") namespace = next;
    else if (word === "--kube-version") kubeVersion = next;
    else if (word === "-f" || word === "--values") valueFiles.push(posix.relative(path, next));
    else if (word === "--set") setValue(values, next);
    else if (word === "--skip-tests") {
      skipTests = true;
      continue;
    } else throw new Error(`corpus-rendered: flag ${word} of "${command}" is not understood`);
    i += 1;
  }
  const helm = {
    releaseName,
    valueFiles,
    apiVersions: [],
    skipTests,
    includeCRDs: false,
    ...(kubeVersion === undefined ? {} : { kubeVersion }),
    ...(Object.keys(values).length === 0 ? {} : { values: stringify(values) }),
  };
  return { path, type: "helm", namespace, helm };
}

/** Helm's --set: `a.b=c`, dots escaped with a backslash, `true`/`false` and integers typed. */
function setValue(values: Record<string, unknown>, assignment: string): void {
  const equals = assignment.indexOf("=");
  const keys = assignment
    .slice(0, equals)
    .split(/(?<!\\)\./)
    .map((key) => key.replaceAll("\\.", "."));
  const raw = assignment.slice(equals + 1);
  const value = raw === "true" ? true : raw === "false" ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
  let target = values;
  for (const key of keys.slice(0, -1)) {
    target[key] ??= {};
    target = target[key] as Record<string, unknown>;
  }
  target[keys.at(-1) ?? ""] = value;
}

/** Words of a command line as a POSIX shell splits them (single quotes only, as the table uses). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? "");
  return words;
}

/** Every file of a corpus source (RENDERED and the corpus's own notes left out), path → text. */
export function sourceFiles(source: string): Record<string, string> {
  const root = join(CORPUS_RENDERED_DIR, source);
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const path = relative(root, full).split("\\").join("/");
      if (path === "RENDERED" || path === "SOURCE.md") continue;
      if (statSync(full).isDirectory()) walk(full);
      else files[path] = readFileSync(full, "utf8");
    }
  };
  walk(root);
  return files;
}
