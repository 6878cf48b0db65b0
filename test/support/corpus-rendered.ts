// The shared corpus of real Kustomize overlays and Helm charts with their stored renders
// (../shared/corpus-rendered), when it is present: each render's command, app path and output, read
// from the source's SOURCE.md table, so that a render added there is tested without a change here.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { NO_KUSTOMIZE_OPTIONS } from "../../src/render/render-args.js";
import type { AppConfig } from "../../src/sources/types.js";

export const CORPUS_RENDERED_DIR = resolve(import.meta.dirname, "../../../shared/corpus-rendered");
export const corpusRenderedPresent = existsSync(join(CORPUS_RENDERED_DIR, "README.md"));
export const CORPUS_RENDERED_SKIP_REASON =
  "../shared/corpus-rendered is not beside the repository: corpus render tests skipped";

export interface CorpusRender {
  /** The source's folder name, e.g. `stefanprodan__podinfo`: the top of its repository. */
  source: string;
  name: string;
  kind: "kustomize" | "helm";
  /** The command as SOURCE.md gives it, and its words. */
  command: string;
  argv: string[];
  /** The kustomization folder or the chart folder, relative to the source's folder. */
  appPath: string;
  /** Helm value files (`-f`), relative to the app path as driftguard's config writes them. */
  valueFiles: string[];
  /** The full sha256 of the stored (or recorded) output. */
  sha256: string;
  /** The stored output's file, when it is stored. */
  stored: string | undefined;
}

const ROW = /^\| `([^`]+)` \| (kustomize|helm) \| `([^`]+)` \|/;
const SHA = /^- `([^`]+)`: `([0-9a-f]{64})`/;

export function corpusRenders(): CorpusRender[] {
  if (!corpusRenderedPresent) return [];
  return readdirSync(CORPUS_RENDERED_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(CORPUS_RENDERED_DIR, entry.name, "SOURCE.md")))
    .flatMap((entry) => rendersOf(entry.name));
}

function rendersOf(source: string): CorpusRender[] {
  const lines = readFileSync(join(CORPUS_RENDERED_DIR, source, "SOURCE.md"), "utf8").split("\n");
  const sha = new Map<string, string>();
  for (const line of lines) {
    const [, name, hex] = SHA.exec(line) ?? [];
    if (name !== undefined && hex !== undefined) sha.set(name, hex);
  }
  return lines.flatMap((line) => {
    const match = ROW.exec(line);
    if (!match) return [];
    const [, name = "", kind = "", command = ""] = match;
    const argv = shellWords(command);
    const appPath = (kind === "kustomize" ? argv[2] : argv[3]) ?? "";
    const storedFile = join(CORPUS_RENDERED_DIR, source, "RENDERED", `${name}.yaml`);
    return [
      {
        source,
        name,
        kind: kind as CorpusRender["kind"],
        command,
        argv,
        appPath,
        valueFiles: valueFlags(argv).map((file) => posix.relative(appPath, file)),
        sha256: sha.get(name) ?? "",
        stored: existsSync(storedFile) ? storedFile : undefined,
      },
    ];
  });
}

function valueFlags(argv: readonly string[]): string[] {
  return argv.flatMap((word, index) => {
    if (word === "-f" || word === "--values") return [argv[index + 1] ?? ""];
    return word.startsWith("--values=") ? [word.slice("--values=".length)] : [];
  });
}

/** A POSIX shell's word splitting, for the commands of the tables: quotes and backslashes, no expansion. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let index = 0; index < command.length; index += 1) {
    const char = command[index] as string;
    if (char === " " || char === "\t") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === "'") {
      const end = command.indexOf("'", index + 1);
      word = (word ?? "") + command.slice(index + 1, end);
      index = end;
    } else if (char === "\\") {
      word = (word ?? "") + (command[index + 1] ?? "");
      index += 1;
    } else if (char === '"') {
      let end = index + 1;
      let text = "";
      for (; end < command.length && command[end] !== '"'; end += 1)
        text += command[end] === "\\" ? (command[++end] ?? "") : command[end];
      word = (word ?? "") + text;
      index = end;
    } else {
      word = (word ?? "") + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

// Render cases as driftguard app configs (the README table of stored renders), and the files of a source.
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
  return corpusRenders().flatMap(({ source, name, command, stored }) =>
    stored === undefined ? [] : [{ source, output: `RENDERED/${name}.yaml`, command, app: appOf(command) }],
  );
}

/** `kustomize build X` or `helm template NAME PATH --namespace NS ... [-f F]... [--set K=V]...`. */
export function appOf(command: string): AppConfig {
  const words = shellWords(command);
  const base = {
    namespace: "default",
    helm: { valueFiles: [], apiVersions: [], skipTests: true, includeCRDs: false },
    kustomize: NO_KUSTOMIZE_OPTIONS,
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
  return { path, type: "helm", namespace, helm, kustomize: NO_KUSTOMIZE_OPTIONS };
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
