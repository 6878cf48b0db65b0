// The web view's Reviewer (src/web/access.ts) against the API server: TokenReview for who a token is,
// SubjectAccessReview for what they may do. driftguard's own account needs `create` on both (the
// chart's ClusterRole grants them when the web view listens beyond loopback).
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { ResourceCheck, Reviewer, ViewerIdentity } from "../web/access.js";

/** A review that takes longer fails (503 to the caller, who may try again): a page must not hang. */
const REVIEW_TIMEOUT_MS = 5_000;

export function kubeAccessReviewer(kubeConfig: KubeConfig): Reviewer {
  const authn = kubeConfig.makeApiClient(AuthenticationV1Api);
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  const allowed = async (user: ViewerIdentity, attributes: object) => {
    const review = await within(
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
      const review = await within(
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

function within<T>(call: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the ${what} took longer than ${REVIEW_TIMEOUT_MS / 1000} s`)),
      REVIEW_TIMEOUT_MS,
    );
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}
