// The DecisionRecord objects of the API server, listed page by page (every replica's records): for
// `driftguard history`, `propose --request` and the web view.

import type { DecisionRecord } from "../core/decision-record.js";
import type { HistoryFilter } from "../core/history.js";
import { DriftguardError } from "../errors.js";
import {
  DEPLOYMENT_LABEL,
  isLabelValue,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  RECORDS_GROUP,
  RECORDS_PLURAL,
  RECORDS_VERSION,
  recordOfObject,
} from "./decision-records.js";
import { listPages, type PageFetcher } from "./deployment-list.js";

/**
 * The DecisionRecords the filter can match, filtered on the server by namespace and labels (outcome and
 * Deployment name where the name is a label value); the rest (user, time) is filtered by the caller.
 */
export async function listRecords(
  fetchPage: PageFetcher,
  server: string,
  filter: HistoryFilter,
): Promise<DecisionRecord[]> {
  const { namespace, name } = filter;
  const scope = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
  const base = `/apis/${RECORDS_GROUP}/${RECORDS_VERSION}${scope}/${RECORDS_PLURAL}`;
  const selectors = [`${MANAGED_BY_LABEL}=${MANAGED_BY}`];
  if (name !== undefined && isLabelValue(name)) selectors.push(`${DEPLOYMENT_LABEL}=${name}`);
  const listed = await listPages(fetchPage, base, server, namespace, {
    what: "DecisionRecords",
    labelSelector: selectors.join(","),
  });
  if ("forbidden" in listed) {
    throw new DriftguardError(
      "DG_CLUSTER_UNREACHABLE",
      `cannot list DecisionRecords (403 Forbidden): ${listed.forbidden}`,
      {
        where: server,
        hint:
          namespace === undefined
            ? "give --namespace for a namespace these credentials may list decisionrecords in"
            : "ask for list on decisionrecords.driftguard.io in this namespace",
      },
    );
  }
  return listed.items.flatMap((object) => {
    const record = recordOfObject(object);
    return record ? [record] : [];
  });
}
