// The API server's own answer to "may this subject do that": a SubjectAccessReview, posted as admin.
import { apiPost } from "./api-client.js";
import type { Who } from "./rbac-cases.js";

export interface SarQuestion {
  who: Who;
  namespace: string;
  name: string;
  /** `deployments/<group>`'s subresource, or undefined for `deployments` itself. */
  subresource: string | undefined;
}

export async function sarAllows(
  api: { server: string; caFile: string; adminToken: string },
  question: SarQuestion,
): Promise<boolean> {
  const body = {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: {
      user: question.who.username,
      groups: question.who.groups,
      resourceAttributes: {
        group: "driftguard.io",
        resource: "deployments",
        verb: "override",
        namespace: question.namespace,
        name: question.name,
        ...(question.subresource === undefined ? {} : { subresource: question.subresource }),
      },
    },
  };
  const response = await apiPost(
    api.server,
    api.caFile,
    api.adminToken,
    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    body,
  );
  if (response.status >= 300)
    throw new Error(`SubjectAccessReview: HTTP ${response.status}: ${response.text}`);
  return (response.json() as { status?: { allowed?: boolean } }).status?.allowed === true;
}
