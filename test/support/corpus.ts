// Reads the shared corpus of real Deployment manifests (../shared/corpus), when it is present.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export const CORPUS_DIR = resolve(import.meta.dirname, "../../../shared/corpus");
export const corpusPresent = existsSync(CORPUS_DIR);
export const CORPUS_SKIP_REASON = "../shared/corpus is not beside the repository: corpus tests skipped";

type JsonObject = { [key: string]: unknown };

export interface CorpusDeployment {
  file: string;
  index: number;
  namespace: string;
  name: string;
  manifest: JsonObject;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : /\.(ya?ml|json)$/.test(entry) ? [path] : [];
  });
}

/**
 * Every whole Deployment document. Kustomize patches are left out: a `$patch` key, no spec.template, or
 * (the corpus README's definition of a partial object) no selector or a container without an image.
 */
export function corpusDeployments(): CorpusDeployment[] {
  if (!corpusPresent) return [];
  const out: CorpusDeployment[] = [];
  for (const path of walk(CORPUS_DIR)) {
    const docs = parseAllDocuments(readFileSync(path, "utf8"), { version: "1.1", merge: true });
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, index) => {
      const value = doc.toJS() as JsonObject | null;
      for (const item of expand(value)) {
        const spec = item.spec as JsonObject | undefined;
        if (item.kind !== "Deployment" || !spec?.template || "$patch" in item || isPartial(spec)) continue;
        const metadata = (item.metadata ?? {}) as JsonObject;
        const file = relative(CORPUS_DIR, path);
        const namespace =
          (metadata.namespace as string | undefined) ??
          `corpus-${file
            .split("/")[0]
            ?.toLowerCase()
            .replace(/[^a-z0-9-]/g, "-")
            .slice(0, 50)}`;
        out.push({ file, index, namespace, name: String(metadata.name), manifest: item });
      }
    });
  }
  return out;
}

function expand(value: JsonObject | null): JsonObject[] {
  if (!value || typeof value !== "object") return [];
  if (value.kind === "List" && Array.isArray(value.items)) return value.items as JsonObject[];
  return [value];
}

function isPartial(spec: JsonObject): boolean {
  const pod = (spec.template as JsonObject).spec as JsonObject | undefined;
  const containers = (pod?.containers ?? []) as JsonObject[];
  return !spec.selector || containers.length === 0 || containers.some((c) => !c.image);
}
