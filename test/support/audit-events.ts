// Hand-made audit log lines for the replay tests: one audit.k8s.io/v1 Event as kube-apiserver writes it.
import type { Json, JsonObject } from "../../src/core/types.js";

/**
 * What a test changes of the Event. `objectRef` is merged into the default one (a test names only the part
 * it changes); any other key replaces the default, and a key given as `undefined` is left out of the line.
 */
export type AuditEventFields = { objectRef?: JsonObject } & { [key: string]: Json | undefined };

/** One audit log line: alice patching deployment shop/web, answered 200, unless `fields` say otherwise. */
export function auditEvent(fields: AuditEventFields = {}): string {
  const { objectRef, ...rest } = fields;
  return JSON.stringify({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "RequestResponse",
    auditID: "a-1",
    stage: "ResponseComplete",
    requestURI: "/apis/apps/v1/namespaces/shop/deployments/web",
    verb: "patch",
    user: { username: "alice", groups: ["team-a", "system:authenticated"] },
    objectRef: {
      resource: "deployments",
      namespace: "shop",
      name: "web",
      apiGroup: "apps",
      apiVersion: "v1",
      ...objectRef,
    },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: "2026-12-02T06:00:00.000000Z",
    stageTimestamp: "2026-12-02T06:00:00.100000Z",
    ...rest,
  });
}
