// One decision record by its request uid, for `propose --request UID`: from the API server's
// DecisionRecords (every replica's), or from one replica's store on disk.
import { join } from "node:path";
import type { KubernetesConfig } from "../config/types.js";
import type { DecisionRecord } from "../core/decision-record.js";
import { DriftguardError } from "../errors.js";
import { HISTORY_DIR, readDiskStore } from "../history/disk-store.js";
import { kubeConfigFetcher } from "../kube/deployment-list.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { listRecords } from "../kube/record-list.js";

export interface RecordPlace {
  namespace?: string | undefined;
  kubeconfig?: string | undefined;
  "state-dir"?: string | undefined;
}

export async function findRecord(
  uid: string,
  place: RecordPlace,
  kubernetes: KubernetesConfig,
): Promise<DecisionRecord> {
  const filter = { namespace: place.namespace };
  const stateDir = place["state-dir"];
  const records =
    stateDir !== undefined
      ? (await readDiskStore(join(stateDir, HISTORY_DIR))).records
      : await fromCluster(
          place.kubeconfig === undefined ? kubernetes : { ...kubernetes, kubeconfig: place.kubeconfig },
          filter,
        );
  const record = records.find(
    (candidate) =>
      candidate.requestUid === uid &&
      (place.namespace === undefined || candidate.object.namespace === place.namespace),
  );
  if (record) return record;
  throw new DriftguardError("DG_PROPOSE_NO_RECORD", `no decision record of request ${uid}`, {
    where: stateDir === undefined ? "the API server's DecisionRecords" : `${join(stateDir, HISTORY_DIR)}`,
    hint:
      "check the uid a denial or warning printed (driftguard history lists them); dry-run requests leave no " +
      "record, so propose from the AdmissionReview instead",
  });
}

async function fromCluster(kubernetes: KubernetesConfig, filter: { namespace?: string | undefined }) {
  const { fetchPage, server } = kubeConfigFetcher(loadKubeConfig(kubernetes, process.env));
  return listRecords(fetchPage, server, filter);
}
