// Who a token is and what they may do, asked of the API server for the web view (src/web/access.ts): TokenReview for who a token is,
// SubjectAccessReview for what they may do. driftguard's own account needs `create` on both (the
// chart's ClusterRole grants them when the web view listens beyond loopback).
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { TIMED_OUT, within } from "../within.js";

/** A review that takes longer fails (503 to the caller, who may try again): a page must not hang. */
const REVIEW_TIMEOUT_MS = 5_000;

export interface ViewerIdentity {
  username: string;
  uid?: string | undefined;
  groups: readonly string[];
  extra?: Readonly<Record<string, readonly string[]>> | undefined;
}

export interface ResourceCheck {
  group: string;
  resource: string;
  verb: string;
  /** "" asks for every namespace at once. */
  namespace: string;
}

/** The two reviews, against the API server (src/kube/access-reviews.ts) or a stand-in in tests. */
export interface Reviewer {
  /** The token's user, or undefined when the API server does not know the token. */
  authenticate(token: string): Promise<ViewerIdentity | undefined>;
  mayGetUrl(user: ViewerIdentity, path: string): Promise<boolean>;
  mayAccess(user: ViewerIdentity, check: ResourceCheck): Promise<boolean>;
}

export function kubeAccessReviewer(kubeConfig: KubeConfig): Reviewer {
  const authn = kubeConfig.makeApiClient(AuthenticationV1Api);
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  const allowed = async (user: ViewerIdentity, attributes: object) => {
    const review = await bounded(
      authz.createSubjectAccessReview({
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: user.username,
            groups: [...user.groups],
            ...(user.uid === undefined ? {} : { uid: user.uid }),
            ...(user.extra === undefined ? {} : { extra: copyExtra(user.extra) }),
            ...attributes,
          },
        },
      }),
      "SubjectAccessReview",
    );
    return review.status?.allowed === true;
  };
  return {
    async authenticate(token) {
      const review = await bounded(
        authn.createTokenReview({
          body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } },
        }),
        "TokenReview",
      );
      const user = review.status?.user;
      if (review.status?.authenticated !== true || user?.username === undefined) return undefined;
      return {
        username: user.username,
        uid: user.uid,
        groups: user.groups ?? [],
        ...(user.extra === undefined ? {} : { extra: user.extra }),
      };
    },
    mayGetUrl: (user, path) => allowed(user, { nonResourceAttributes: { path, verb: "get" } }),
    mayAccess: (user, check: ResourceCheck) =>
      allowed(user, {
        resourceAttributes: {
          group: check.group,
          resource: check.resource,
          verb: check.verb,
          ...(check.namespace === "" ? {} : { namespace: check.namespace }),
        },
      }),
  };
}

function copyExtra(extra: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(extra).map(([key, values]) => [key, [...values]]));
}

/** The review's answer, or an error when it takes longer than REVIEW_TIMEOUT_MS. */
async function bounded<T>(call: Promise<T>, what: string): Promise<T> {
  const answer = await within(call, REVIEW_TIMEOUT_MS);
  if (answer === TIMED_OUT) throw new Error(`the ${what} took longer than ${REVIEW_TIMEOUT_MS / 1000} s`);
  return answer;
}
