// The shared corpus of real Kustomize overlays and Helm charts with their stored renders
// (../shared/corpus-rendered), when it is present: each render's command, app path and output, read
// from the source's SOURCE.md table, so that a render added there is tested without a change here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";

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
