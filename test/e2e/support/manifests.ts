// The Git content of the e2e run: one Deployment per scenario namespace, plus the corpus laid out as one
// folder and one namespace per corpus repository.
import { stringify } from "yaml";
import { corpusDeployments, corpusPresent } from "../../support/corpus.js";
import type { CorpusLayout } from "./testbed-info.js";

export const ENFORCE_NS = "e2e-enforce";
export const AUDIT_NS = "e2e-audit";
export const FLOW_NS = "e2e-flow";
export const DOOMED_NS = "e2e-doomed";
export const ARGOCD_NS = "argocd";

/** The Deployment replay.e2e.ts creates in the audit and the enforce namespace and edits as alice. */
export const REPLAY_NAME = "replayed";
/** The Deployment whose Report the served driftguard writes (reports.e2e.ts). */
export const REPORTED_NAME = "reported";

export const GIT_IMAGE = "nginx:1.27.3";
/** The image a Deployment ran before Git's, so that `rollout undo` has somewhere to go. */
export const OLD_IMAGE = "nginx:1.27.2";

export interface WebOptions {
  name?: string;
  namespace: string;
  image?: string;
  mode?: string;
  replicas?: number | null;
}

/** A small but realistic Deployment: replicas, env, resources, a probe, a port. */
export function webDeployment(options: WebOptions): Record<string, unknown> {
  const name = options.name ?? "web";
  const annotations = options.mode === undefined ? undefined : { "driftguard.io/mode": options.mode };
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          {
            name: "web",
            image: options.image ?? GIT_IMAGE,
            ports: [{ containerPort: 80 }],
            env: [{ name: "LOG_LEVEL", value: "info" }],
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
            readinessProbe: { httpGet: { path: "/", port: 80 } },
          },
        ],
      },
    },
  };
  if (options.replicas !== null) spec.replicas = options.replicas ?? 2;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: options.namespace,
      labels: { app: name },
      ...(annotations ? { annotations } : {}),
    },
    spec,
  };
}

export function yamlOf(manifest: Record<string, unknown>): string {
  return stringify(manifest, { version: "1.1" });
}

/** Scenario manifests, by repository path. */
export function scenarioFiles(): Record<string, string> {
  return {
    [`scenarios/${ENFORCE_NS}/web.yaml`]: yamlOf(webDeployment({ namespace: ENFORCE_NS })),
    [`scenarios/${ENFORCE_NS}/drifted.yaml`]: yamlOf(
      webDeployment({ name: "drifted", namespace: ENFORCE_NS }),
    ),
    [`scenarios/${ENFORCE_NS}/autoscaled.yaml`]: yamlOf(
      webDeployment({ name: "autoscaled", namespace: ENFORCE_NS, replicas: null }),
    ),
    [`scenarios/${ENFORCE_NS}/synced.yaml`]: yamlOf(webDeployment({ name: "synced", namespace: ENFORCE_NS })),
    [`scenarios/${ENFORCE_NS}/guarded.yaml`]: yamlOf(
      webDeployment({ name: "guarded", namespace: ENFORCE_NS }),
    ),
    [`scenarios/${ENFORCE_NS}/probe.yaml`]: yamlOf(webDeployment({ name: "probe", namespace: ENFORCE_NS })),
    [`scenarios/${AUDIT_NS}/web.yaml`]: yamlOf(webDeployment({ namespace: AUDIT_NS })),
    // Created by reports.e2e.ts, whose Report the running driftguard writes.
    [`scenarios/${AUDIT_NS}/${REPORTED_NAME}.yaml`]: yamlOf(
      webDeployment({ name: REPORTED_NAME, namespace: AUDIT_NS }),
    ),
    // The replay test's pair: created by the test itself, edited alike in both modes (replay.e2e.ts).
    ...Object.fromEntries(
      [AUDIT_NS, ENFORCE_NS].map((namespace) => [
        `scenarios/${namespace}/${REPLAY_NAME}.yaml`,
        yamlOf(webDeployment({ name: REPLAY_NAME, namespace })),
      ]),
    ),
    [`scenarios/${FLOW_NS}/flow.yaml`]: yamlOf(webDeployment({ name: "flow", namespace: FLOW_NS })),
    [`scenarios/${DOOMED_NS}/one.yaml`]: yamlOf(webDeployment({ name: "one", namespace: DOOMED_NS })),
    [`scenarios/${DOOMED_NS}/two.yaml`]: yamlOf(webDeployment({ name: "two", namespace: DOOMED_NS })),
  };
}

/**
 * The corpus as plain manifests: `corpus/<repository>/<n>-<name>.json`, each document's namespace set to
 * the repository's namespace. JSON keeps every value exactly as YAML 1.1 read it (kubectl's reading).
 * Names repeated within one repository get a `-2` suffix so that each object has one desired state.
 */
export function corpusFiles(): { files: Record<string, string>; layout: CorpusLayout | undefined } {
  if (!corpusPresent) return { files: {}, layout: undefined };
  const files: Record<string, string> = {};
  const namespaces: Record<string, string[]> = {};
  const taken = new Set<string>();
  let count = 0;
  for (const doc of corpusDeployments()) {
    const repository = doc.file.split("/")[0] ?? "corpus";
    const namespace = `corpus-${repository.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63);
    let name = doc.name;
    for (let n = 2; taken.has(`${namespace}/${name}`); n++) name = `${doc.name}-${n}`;
    taken.add(`${namespace}/${name}`);
    const manifest = structuredClone(doc.manifest) as { metadata?: Record<string, unknown> };
    manifest.metadata = { ...(manifest.metadata ?? {}), name, namespace };
    const path = `corpus/${namespace}/${String(++count).padStart(3, "0")}-${name}.json`;
    files[path] = `${JSON.stringify(manifest, null, 2)}\n`;
    (namespaces[namespace] ??= []).push(path);
  }
  return { files, layout: { namespaces, documents: count } };
}
