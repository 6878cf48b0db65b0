// STAND-IN for the API server, for core tests that run without a cluster: what a Deployment manifest
// looks like once the server has decoded, defaulted and stored it (docs/kubernetes-facts.md §1–§3), written
// independently of src/core (it imports nothing from it) so that the core is checked against a second
// reading of the facts, not against itself. The real API server replaces it in the test bed (issue 3).
type J = null | boolean | number | string | J[] | { [k: string]: J };
type O = { [k: string]: J };

const o = (v: J | undefined): O | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? v : undefined;
const list = (v: J | undefined): O[] => (Array.isArray(v) ? (v.filter((x) => o(x)) as O[]) : []);
const setIfUnset = (t: O, k: string, v: J) => {
  if (t[k] === undefined || t[k] === null || t[k] === "" || t[k] === 0) t[k] = v;
};
const setIfNil = (t: O, k: string, v: J) => {
  if (t[k] === undefined || t[k] === null) t[k] = v;
};

let counter = 0;

/** The object a validating webhook receives on CREATE of `manifest`. */
export function storedByApiServer(manifest: O, namespace: string): O {
  const d = JSON.parse(JSON.stringify(manifest)) as O;
  const meta = (d.metadata = o(d.metadata) ?? {});
  meta.namespace = namespace;
  meta.uid = `00000000-0000-0000-0000-${String(++counter).padStart(12, "0")}`;
  meta.generation = 1;
  meta.creationTimestamp = "2026-11-24T06:00:00Z";
  meta.managedFields = [
    {
      manager: "kubectl-client-side-apply",
      operation: "Update",
      apiVersion: "apps/v1",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:spec": {} },
    },
  ];
  const spec = (d.spec = o(d.spec) ?? {});
  setIfNil(spec, "replicas", 1);
  const strategy = (spec.strategy = o(spec.strategy) ?? {});
  setIfUnset(strategy, "type", "RollingUpdate");
  if (strategy.type === "RollingUpdate") {
    const ru = (strategy.rollingUpdate = o(strategy.rollingUpdate) ?? {});
    setIfNil(ru, "maxUnavailable", "25%");
    setIfNil(ru, "maxSurge", "25%");
  }
  setIfNil(spec, "revisionHistoryLimit", 10);
  setIfNil(spec, "progressDeadlineSeconds", 600);
  const template = o(spec.template) ?? {};
  const tmeta = o(template.metadata);
  if (tmeta) delete tmeta.creationTimestamp;
  pod(o(template.spec) ?? {});
  d.status = {};
  return serialize(d, "") as O;
}

function pod(p: O) {
  setIfUnset(p, "dnsPolicy", "ClusterFirst");
  setIfUnset(p, "restartPolicy", "Always");
  setIfNil(p, "securityContext", {});
  setIfNil(p, "terminationGracePeriodSeconds", 30);
  setIfUnset(p, "schedulerName", "default-scheduler");
  const sa = p.serviceAccountName || p.serviceAccount;
  if (sa) p.serviceAccountName = p.serviceAccount = sa;
  for (const v of list(p.volumes)) {
    if (Object.keys(v).length === 1) v.emptyDir = {};
    for (const s of ["configMap", "secret", "downwardAPI", "projected"])
      if (o(v[s])) setIfNil(o(v[s]) as O, "defaultMode", 420);
    for (const i of list(o(v.downwardAPI)?.items))
      if (o(i.fieldRef)) setIfUnset(o(i.fieldRef) as O, "apiVersion", "v1");
    for (const src of list(o(v.projected)?.sources)) {
      if (o(src.serviceAccountToken)) setIfNil(o(src.serviceAccountToken) as O, "expirationSeconds", 3600);
      for (const i of list(o(src.downwardAPI)?.items))
        if (o(i.fieldRef)) setIfUnset(o(i.fieldRef) as O, "apiVersion", "v1");
    }
    if (o(v.hostPath)) setIfNil(o(v.hostPath) as O, "type", "");
  }
  for (const c of [...list(p.containers), ...list(p.initContainers)]) container(c);
}

function container(c: O) {
  if (!c.imagePullPolicy) {
    const image = String(c.image ?? "");
    const last = image.split("/").pop() ?? "";
    const tag = last.includes(":") ? last.split("@")[0]?.split(":")[1] : undefined;
    c.imagePullPolicy =
      tag === "latest" || (tag === undefined && !image.includes("@")) ? "Always" : "IfNotPresent";
  }
  setIfUnset(c, "terminationMessagePath", "/dev/termination-log");
  setIfUnset(c, "terminationMessagePolicy", "File");
  c.resources = o(c.resources) ?? {};
  for (const port of list(c.ports)) setIfUnset(port, "protocol", "TCP");
  for (const e of list(c.env)) {
    const vf = o(e.valueFrom);
    if (o(vf?.fieldRef)) setIfUnset(o(vf?.fieldRef) as O, "apiVersion", "v1");
    if (o(vf?.resourceFieldRef)) setIfNil(o(vf?.resourceFieldRef) as O, "divisor", "0");
  }
  for (const name of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    const probe = o(c[name]);
    if (!probe) continue;
    setIfUnset(probe, "timeoutSeconds", 1);
    setIfUnset(probe, "periodSeconds", 10);
    setIfUnset(probe, "successThreshold", 1);
    setIfUnset(probe, "failureThreshold", 3);
    const http = o(probe.httpGet);
    if (http) {
      setIfUnset(http, "path", "/");
      setIfUnset(http, "scheme", "HTTP");
    }
    if (o(probe.grpc)) setIfNil(o(probe.grpc) as O, "service", "");
  }
}

// Serialization: Go's encoding/json omitempty rules for the fields that occur in the corpus, and the
// quantity spellings of docs/kubernetes-facts.md §3.2 for the forms that occur there (decimals become milli).
const KEEP_ZERO = new Set([
  "replicas",
  "shareProcessNamespace",
  "enableServiceLinks",
  "hostUsers",
  "setHostnameAsFQDN",
  "revisionHistoryLimit",
  "terminationGracePeriodSeconds",
  "runAsUser",
  "runAsGroup",
  "fsGroup",
  "runAsNonRoot",
  "readOnlyRootFilesystem",
  "allowPrivilegeEscalation",
  "privileged",
  "automountServiceAccountToken",
  "optional",
  "defaultMode",
  "service",
  "type",
  "maxSurge",
  "maxUnavailable",
  "containerPort",
  "port",
]);
const MAPS = new Set(["labels", "annotations", "nodeSelector", "matchLabels", "limits", "requests"]);

function serialize(v: J, field: string): J | undefined {
  if (v === null) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => (x !== null && typeof x === "object" ? (serialize(x, "") ?? {}) : x));
    return items.length === 0 && field !== "containers" ? undefined : items;
  }
  if (typeof v === "object") {
    const out: O = {};
    for (const [k, x] of Object.entries(v)) {
      const kept = MAPS.has(field)
        ? field === "limits" || field === "requests"
          ? quantity(x)
          : x
        : serialize(x, k);
      if (kept !== undefined && kept !== null) out[k] = kept;
    }
    return MAPS.has(field) && Object.keys(out).length === 0 ? undefined : out;
  }
  if ((v === "" || v === false || v === 0) && !KEEP_ZERO.has(field)) return undefined;
  return v;
}

function quantity(v: J): J {
  const text = String(v);
  const m = /^(\d*)\.(\d+)$/.exec(text);
  if (!m) return text;
  const milli = Math.round(Number(text) * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
