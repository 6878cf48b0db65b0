// Volume defaults of the pod template (docs/kubernetes-facts.md §2.4).
import { asObject, fill, fillNil, objects } from "./json.js";
import type { JsonObject } from "./types.js";

const DEFAULT_MODE = 420; // 0644

const PLUGIN_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string | boolean>>>> = {
  iscsi: { iscsiInterface: "default" },
  rbd: { pool: "rbd", user: "admin", keyring: "/etc/ceph/keyring" },
  scaleIO: { storageMode: "ThinProvisioned", fsType: "xfs" },
  azureDisk: { cachingMode: "ReadWrite", fsType: "ext4", readOnly: false, kind: "Shared" },
};

// As pairs once, not Object.entries per volume: every volume of every normalized object is defaulted.
const PLUGINS = Object.entries(PLUGIN_DEFAULTS).map(
  ([plugin, defaults]) => [plugin, Object.entries(defaults)] as const,
);

export function defaultVolume(volume: JsonObject): void {
  // A volume with no source at all is an emptyDir.
  if (Object.keys(volume).every((key) => key === "name" || volume[key] === null)) volume.emptyDir = {};
  for (const source of ["configMap", "secret", "downwardAPI", "projected"]) {
    const found = asObject(volume[source]);
    if (found) fillNil(found, "defaultMode", DEFAULT_MODE);
  }
  defaultFieldRefs(asObject(volume.downwardAPI));
  for (const projection of objects(asObject(volume.projected)?.sources)) {
    defaultFieldRefs(asObject(projection.downwardAPI));
    const token = asObject(projection.serviceAccountToken);
    if (token) fillNil(token, "expirationSeconds", 3600);
  }
  const hostPath = asObject(volume.hostPath);
  // HostPathType is a pointer to a string that defaults to "": serialized as `type: ""`.
  if (hostPath) fillNil(hostPath, "type", "");
  const claimSpec = asObject(asObject(asObject(volume.ephemeral)?.volumeClaimTemplate)?.spec);
  if (claimSpec) fillNil(claimSpec, "volumeMode", "Filesystem");
  for (const [plugin, defaults] of PLUGINS) {
    const found = asObject(volume[plugin]);
    if (!found) continue;
    for (const [key, value] of defaults) {
      if (typeof value === "boolean") fillNil(found, key, value);
      else fill(found, key, value);
    }
  }
}

function defaultFieldRefs(downwardAPI: JsonObject | undefined): void {
  for (const item of objects(downwardAPI?.items)) {
    const fieldRef = asObject(item.fieldRef);
    if (fieldRef) fill(fieldRef, "apiVersion", "v1");
  }
}
