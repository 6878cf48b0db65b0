// driftguard's own custom objects in the API server (Reports, DecisionRecords): every page of those
// labelled as managed by driftguard, in all namespaces. The writers read them to adopt, clean up and
// enforce retention; the label keeps anyone else's objects of the same kind out of reach.
import type { CustomObjectsApi } from "@kubernetes/client-node";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../core/report-objects.js";
import type { JsonObject } from "../core/types.js";

export interface OwnedObject {
  namespace: string;
  name: string;
  object: JsonObject;
}

const PAGE_LIMIT = 500;

export async function listOwnedObjects(
  api: CustomObjectsApi,
  resource: { group: string; version: string; plural: string },
): Promise<OwnedObject[]> {
  const out: OwnedObject[] = [];
  let next: string | undefined;
  do {
    const page = (await api.listClusterCustomObject({
      ...resource,
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
      limit: PAGE_LIMIT,
      ...(next === undefined ? {} : { _continue: next }),
    })) as { items?: JsonObject[]; metadata?: { continue?: string } };
    for (const object of page.items ?? []) {
      const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
      if (metadata.name && metadata.namespace)
        out.push({ namespace: metadata.namespace, name: metadata.name, object });
    }
    next = page.metadata?.continue || undefined;
  } while (next !== undefined);
  return out;
}
