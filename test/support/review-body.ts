// A wire AdmissionReview for a Deployment in shop/web, as the API server posts it to the webhook.
export function deploymentReview(parts: {
  operation?: "CREATE" | "UPDATE" | "DELETE";
  username: string;
  object: unknown;
  oldObject: unknown;
}) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "9a3f6f0e-1111-4222-8333-444455556666",
      kind: { group: "apps", version: "v1", kind: "Deployment" },
      resource: { group: "apps", version: "v1", resource: "deployments" },
      name: "web",
      namespace: "shop",
      operation: parts.operation ?? "UPDATE",
      userInfo: { username: parts.username, groups: ["system:authenticated"] },
      object: parts.object,
      oldObject: parts.oldObject,
      dryRun: false,
    },
  };
}
