// The real reviews the fuzzer starts from, and the Git files that make their Deployments managed: the
// captured reviews (../shared/k8s-examples) and the corpus Deployments (../shared/corpus) wrapped as the
// API server would send them on CREATE, UPDATE (no-op and drifted), DELETE and scale. The shop/web test
// Deployment is always there, so the fuzzer runs (on less) without ../shared.
import { stringify as toYaml } from "yaml";
import type { JsonObject } from "../../src/core/types.js";
import { capturedReviews, K8S_EXAMPLES_SKIP_REASON, k8sExamplesPresent } from "../http/k8s-examples.js";
import { CORPUS_SKIP_REASON, corpusDeployments, corpusPresent } from "../support/corpus.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { request, scaleObject, wireReview } from "../support/reviews.js";

export interface SeedReview {
  /** Where it came from, for failure reports: `k8s-examples/01…`, `corpus/<file>#2 UPDATE-drift`. */
  name: string;
  body: JsonObject;
}

export interface Seeds {
  reviews: SeedReview[];
  /** Repository path → YAML, committed into the Git source the server reads. */
  gitFiles: Record<string, string>;
  /** What is missing, said plainly by whoever runs the fuzzer. */
  skipped: string[];
}

const USER = { username: "alice", groups: ["system:authenticated"] };

// Seed uids are unique and stable from run to run, so a replayed case sends the same bytes.
let uidCounter = 0;
const nextUid = () => `fuzz0000-0000-4000-8000-${String(++uidCounter).padStart(12, "0")}`;

/** The Git manifest a stored object came from: what its owner committed (server fields left out). */
export function manifestOf(stored: JsonObject): JsonObject {
  const { name, namespace, labels, annotations } = stored.metadata as JsonObject;
  const kept = { ...((annotations ?? {}) as JsonObject) };
  delete kept["kubectl.kubernetes.io/last-applied-configuration"];
  delete kept["deployment.kubernetes.io/revision"];
  const metadata = { name, namespace, ...(labels ? { labels } : {}), annotations: kept } as JsonObject;
  return { apiVersion: "apps/v1", kind: "Deployment", metadata, spec: stored.spec as JsonObject };
}

function withImage(stored: JsonObject, image: string): JsonObject {
  const copy = structuredClone(stored);
  const pod = ((copy.spec as JsonObject).template as JsonObject).spec as JsonObject;
  const first = (pod.containers as JsonObject[])[0];
  if (first) first.image = image;
  return copy;
}

/** The five reviews of one managed Deployment; the drifted UPDATE and the DELETE are denied in enforce mode. */
function wrapped(label: string, manifest: JsonObject): SeedReview[] {
  const stored = storedDeployment(manifest);
  const { name, namespace } = stored.metadata as { name: string; namespace: string };
  const replicas = Number((stored.spec as JsonObject).replicas ?? 1);
  const base = { user: USER, name, namespace };
  const review = (kind: string, parts: Partial<Parameters<typeof request>[0]>) => ({
    name: `${label} ${kind}`,
    // Through JSON and back: object and oldObject must not be one shared object, or a mutation of one
    // (structuredClone keeps the sharing) would change both.
    body: JSON.parse(
      JSON.stringify(wireReview(request({ operation: "UPDATE", ...base, uid: nextUid(), ...parts }))),
    ),
  });
  return [
    review("CREATE", { operation: "CREATE", object: stored }),
    review("UPDATE-noop", { object: stored, oldObject: stored }),
    review("UPDATE-drift", { object: withImage(stored, "fuzz.invalid/drift:1"), oldObject: stored }),
    review("DELETE", { operation: "DELETE", oldObject: stored }),
    review("scale", {
      subResource: "scale",
      object: scaleObject(name, namespace, replicas + 2),
      oldObject: scaleObject(name, namespace, replicas),
    }),
  ];
}

export function loadSeeds(): Seeds {
  const reviews: SeedReview[] = [];
  const gitFiles: Record<string, string> = {};
  const skipped: string[] = [];
  // Written as YAML 1.1, the way the source reads it (and kubectl): a 1.2 writer leaves strings such as
  // "yes" and "false" unquoted, which a 1.1 reader takes for booleans (the schema check refuses them).
  const add = (path: string, manifest: JsonObject) => {
    if (!(path in gitFiles)) gitFiles[path] = toYaml(manifest, { version: "1.1" });
  };
  const shopWeb = deploymentManifest({ replicas: 2 });
  add("fuzz/shop/web.yaml", shopWeb);
  reviews.push(...wrapped("support/shop-web", shopWeb));

  if (!k8sExamplesPresent) skipped.push(K8S_EXAMPLES_SKIP_REASON);
  for (const captured of capturedReviews()) {
    const body = captured.body as unknown as JsonObject;
    reviews.push({ name: `k8s-examples/${captured.file}`, body });
    // 01 (UPDATE by kubectl patch) adds an annotation to what its oldObject holds: Git gets the oldObject,
    // so the real capture is a denial in enforce mode.
    const old = (body.request as JsonObject).oldObject as JsonObject | undefined;
    if (captured.file.startsWith("01-") && old) add("fuzz/default/nginx.yaml", manifestOf(old));
  }

  if (!corpusPresent) skipped.push(CORPUS_SKIP_REASON);
  const corpus = corpusDeployments().sort((a, b) =>
    `${a.file}#${a.index}`.localeCompare(`${b.file}#${b.index}`),
  );
  for (const item of corpus) {
    const manifest = structuredClone(item.manifest) as JsonObject;
    (manifest.metadata as JsonObject).namespace = item.namespace;
    const path = `fuzz/${item.namespace}/${item.name}.yaml`;
    if (path in gitFiles) continue; // one manifest per object: a second one would make both ambiguous
    try {
      reviews.push(...wrapped(`corpus/${item.file}#${item.index}`, manifest));
      add(path, manifest);
    } catch {
      skipped.push(`corpus/${item.file}#${item.index}: the API server stand-in cannot store it`);
    }
  }
  return { reviews, gitFiles, skipped };
}
