// The API server's defaults for apps/v1 Deployment and its pod template (docs/kubernetes-facts.md §2), applied to a
// private copy of an object. Defaults only fill empty values, so applying them to an object the server
// already defaulted changes nothing: that is what lets us run the same pipeline on every side.
// Pod-only defaults (docs/kubernetes-facts.md §2.6) are deliberately absent.
import { defaultVolume } from "./defaults-volumes.js";
import { defaultPullPolicy } from "./image.js";
import { asObject, child, fill, fillNil, objects } from "./json.js";
import { elementSegment } from "./paths.js";
import type { Json, JsonObject, Path } from "./types.js";

/** A field whose value Git does not fix: any of `values` is as good as Git's (sticky defaults). */
export interface Lenient {
  path: Path;
  values: readonly Json[];
}

/** Applies every default; returns the fields whose defaults may legitimately differ from ours. */
export function applyDeploymentDefaults(deployment: JsonObject): Lenient[] {
  const spec = child(deployment, "spec");
  defaultStrategy(child(spec, "strategy"));
  fillNil(spec, "revisionHistoryLimit", 10);
  fillNil(spec, "progressDeadlineSeconds", 600);
  const template = child(spec, "template");
  return defaultPodSpec(child(template, "spec"));
}

function defaultStrategy(strategy: JsonObject): void {
  fill(strategy, "type", "RollingUpdate");
  if (strategy.type !== "RollingUpdate") return;
  const rolling = child(strategy, "rollingUpdate");
  fillNil(rolling, "maxUnavailable", "25%");
  fillNil(rolling, "maxSurge", "25%");
}

const POD_PATH = ["spec", "template", "spec"];

function defaultPodSpec(pod: JsonObject): Lenient[] {
  fill(pod, "dnsPolicy", "ClusterFirst");
  fill(pod, "restartPolicy", "Always");
  fillNil(pod, "securityContext", {});
  fillNil(pod, "terminationGracePeriodSeconds", 30);
  fill(pod, "schedulerName", "default-scheduler");
  for (const volume of objects(pod.volumes)) defaultVolume(volume);
  const lenient: Lenient[] = [];
  for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
    for (const container of objects(pod[list])) {
      const loose = defaultContainer(container);
      const segment = elementSegment(list, container);
      if (loose && segment)
        lenient.push({ path: [...POD_PATH, list, segment, "imagePullPolicy"], values: loose });
    }
  }
  return lenient;
}

/** Returns the values imagePullPolicy may hold when it was left to the default. */
function defaultContainer(container: JsonObject): Json[] | undefined {
  let lenient: Json[] | undefined;
  if (!container.imagePullPolicy) {
    // Defaults are sticky under PATCH: after `set image app:latest` the policy defaulted for the old
    // tag stays. When Git leaves it out, either automatic value is Git's (docs/kubernetes-facts.md §2.8).
    container.imagePullPolicy = defaultPullPolicy(typeof container.image === "string" ? container.image : "");
    lenient = ["Always", "IfNotPresent"];
  }
  fill(container, "terminationMessagePath", "/dev/termination-log");
  fill(container, "terminationMessagePolicy", "File");
  for (const port of objects(container.ports)) fill(port, "protocol", "TCP");
  for (const env of objects(container.env)) defaultEnvSource(asObject(env.valueFrom));
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"])
    defaultProbe(asObject(container[probe]));
  const lifecycle = asObject(container.lifecycle);
  for (const hook of ["postStart", "preStop"]) defaultHttpGet(asObject(asObject(lifecycle?.[hook])?.httpGet));
  return lenient;
}

function defaultEnvSource(valueFrom: JsonObject | undefined): void {
  if (!valueFrom) return;
  const fieldRef = asObject(valueFrom.fieldRef);
  if (fieldRef) fill(fieldRef, "apiVersion", "v1");
  const resourceFieldRef = asObject(valueFrom.resourceFieldRef);
  // divisor is a non-pointer Quantity: always serialized, "0" when unset (docs/kubernetes-facts.md §2.3).
  if (resourceFieldRef) fillNil(resourceFieldRef, "divisor", "0");
  const fileKeyRef = asObject(valueFrom.fileKeyRef);
  if (fileKeyRef) fillNil(fileKeyRef, "optional", false);
}

function defaultProbe(probe: JsonObject | undefined): void {
  if (!probe) return;
  fill(probe, "timeoutSeconds", 1);
  fill(probe, "periodSeconds", 10);
  fill(probe, "successThreshold", 1);
  fill(probe, "failureThreshold", 3);
  defaultHttpGet(asObject(probe.httpGet));
  const grpc = asObject(probe.grpc);
  if (grpc) fillNil(grpc, "service", "");
}

function defaultHttpGet(httpGet: JsonObject | undefined): void {
  if (!httpGet) return;
  fill(httpGet, "path", "/");
  fill(httpGet, "scheme", "HTTP");
}
