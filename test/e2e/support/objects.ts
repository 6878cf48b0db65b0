// What "the object did not change" means in the API server: everything a user can write. Status and
// resourceVersion are left out: the deployment controller updates them on its own.
import { getJson } from "./kubectl.js";
import type { TestbedInfo } from "./testbed-info.js";

export interface Writable {
  generation: unknown;
  labels: unknown;
  annotations: unknown;
  ownerReferences: unknown;
  finalizers: unknown;
  deletionTimestamp: unknown;
  spec: unknown;
}

export async function writableState(
  testbed: TestbedInfo,
  name: string,
  namespace: string,
): Promise<Writable> {
  const object = await getJson(testbed, "deployment", name, namespace);
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  return {
    generation: metadata.generation,
    labels: metadata.labels,
    annotations: metadata.annotations,
    ownerReferences: metadata.ownerReferences,
    finalizers: metadata.finalizers,
    deletionTimestamp: metadata.deletionTimestamp,
    spec: object.spec,
  };
}
