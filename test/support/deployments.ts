// The plain Deployment most tests talk about (shop/web: one container, app=web), built from the few parts
// a test cares about, in the three forms tests need: the manifest Git holds, the same as YAML text, and the
// object as the API server stores it. A test whose object's particular shape is its point keeps its own.
import { stringify } from "yaml";
import type { JsonObject } from "../../src/core/types.js";
import { storedByApiServer } from "./apiserver-standin.js";

export interface DeploymentParts {
  /** Also the app label of selector and pod template. Default "web". */
  name?: string;
  /** Default "shop"; null leaves metadata.namespace out, for files that take the source's namespace. */
  namespace?: string | null;
  /** Default "web". */
  container?: string;
  /** Default "nginx:1.25". */
  image?: string;
  /** Left out unless given, as in a manifest that leaves it to the server (which stores 1). */
  replicas?: number;
  /** metadata.labels. */
  labels?: JsonObject;
  /** The container's env. */
  env?: JsonObject[];
  /** The container's resources. */
  resources?: JsonObject;
  /** More metadata fields (a uid, say, on a live object written by hand). */
  metadata?: JsonObject;
}

/** The Deployment manifest as Git holds it. */
export function deploymentManifest(parts: DeploymentParts = {}): JsonObject {
  const name = parts.name ?? "web";
  const namespace = parts.namespace === undefined ? "shop" : parts.namespace;
  const app = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      ...(namespace === null ? {} : { namespace }),
      ...(parts.labels ? { labels: parts.labels } : {}),
      ...parts.metadata,
    },
    spec: {
      ...(parts.replicas === undefined ? {} : { replicas: parts.replicas }),
      selector: { matchLabels: app },
      template: {
        metadata: { labels: { ...app } },
        spec: {
          containers: [
            {
              name: parts.container ?? "web",
              image: parts.image ?? "nginx:1.25",
              ...(parts.env ? { env: parts.env } : {}),
              ...(parts.resources ? { resources: parts.resources } : {}),
            },
          ],
        },
      },
    },
  };
}

/** The same manifest as a YAML file in Git. */
export function deploymentYaml(parts: DeploymentParts = {}): string {
  return stringify(deploymentManifest(parts));
}

/** Fields the API server owns, for a test whose live object needs them. */
export interface ServerFields {
  /** Set over the stand-in's own metadata (uid, resourceVersion, generation, managedFields, …). */
  metadata?: JsonObject;
  status?: JsonObject;
}

/**
 * The object as the API server stores it after a CREATE of the manifest: defaulted and serialized by the
 * stand-in, in the manifest's namespace ("default" without one), then `extra` over it.
 */
export function storedDeployment(manifest: JsonObject | DeploymentParts = {}, extra: ServerFields = {}) {
  const source = "apiVersion" in manifest ? (manifest as JsonObject) : deploymentManifest(manifest);
  const metadata = (source.metadata ?? {}) as JsonObject;
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
  // The stand-in copies its input and is typed on its own JSON type: it imports nothing from src.
  const stored = storedByApiServer(structuredClone(source) as never, namespace) as JsonObject;
  if (extra.metadata) stored.metadata = { ...(stored.metadata as JsonObject), ...extra.metadata };
  if (extra.status) stored.status = extra.status;
  return stored;
}
