// Listing live Deployments for `diff --cluster`: pages followed, 403 as an error entry, the rest thrown.
import { describe, expect, test } from "vitest";
import { DriftguardError } from "../../src/errors.js";
import { listDeployments, PAGE_LIMIT, type PageFetcher } from "../../src/kube/deployment-list.js";

const SERVER = "https://api.example:6443";

function deployment(namespace: string, name: string) {
  return { metadata: { namespace, name }, spec: { replicas: 1 } };
}

/** Answers from a table of path → response, recording what was asked. */
function fake(pages: Record<string, { status: number; body: unknown }>) {
  const asked: string[] = [];
  const fetchPage: PageFetcher = async (path) => {
    asked.push(path);
    const page = pages[path];
    if (!page) throw new Error(`unexpected ${path}`);
    return {
      status: page.status,
      body: typeof page.body === "string" ? page.body : JSON.stringify(page.body),
    };
  };
  return { fetchPage, asked };
}

describe("listDeployments", () => {
  test("follows continue tokens across pages, all namespaces", async () => {
    const { fetchPage, asked } = fake({
      [`/apis/apps/v1/deployments?limit=${PAGE_LIMIT}`]: {
        status: 200,
        body: { items: [deployment("a", "one")], metadata: { continue: "tok/1" } },
      },
      [`/apis/apps/v1/deployments?limit=${PAGE_LIMIT}&continue=tok%2F1`]: {
        status: 200,
        body: { items: [deployment("b", "two")], metadata: { continue: "" } },
      },
    });
    const listed = await listDeployments(fetchPage, [], SERVER);
    expect(asked).toHaveLength(2);
    expect(listed.errors).toEqual([]);
    expect(listed.objects.map((o) => (o.metadata as { name: string }).name)).toEqual(["one", "two"]);
    expect(listed.objects[0]).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
  });

  test("a namespace that may not be listed is an error entry; the others are read", async () => {
    const { fetchPage } = fake({
      [`/apis/apps/v1/namespaces/open/deployments?limit=${PAGE_LIMIT}`]: {
        status: 200,
        body: { items: [deployment("open", "web")], metadata: {} },
      },
      [`/apis/apps/v1/namespaces/closed/deployments?limit=${PAGE_LIMIT}`]: {
        status: 403,
        body: { kind: "Status", message: 'deployments.apps is forbidden: User "bob" cannot list' },
      },
    });
    const listed = await listDeployments(fetchPage, ["open", "closed"], SERVER);
    expect(listed.objects).toHaveLength(1);
    expect(listed.errors).toEqual([
      {
        namespace: "closed",
        message:
          'cannot list Deployments (403 Forbidden): deployments.apps is forbidden: User "bob" cannot list',
      },
    ]);
  });

  test.each([
    [
      "unreachable",
      async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443")),
      /ECONNREFUSED/,
    ],
    ["401", async () => ({ status: 401, body: '{"message":"Unauthorized"}' }), /answered 401: Unauthorized/],
    ["not JSON", async () => ({ status: 200, body: "<html>" }), /not JSON/],
  ] as [string, PageFetcher, RegExp][])("%s: DG_CLUSTER_UNREACHABLE", async (_name, fetchPage, message) => {
    const error = await listDeployments(fetchPage, [], SERVER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriftguardError);
    expect((error as DriftguardError).code).toBe("DG_CLUSTER_UNREACHABLE");
    expect((error as DriftguardError).message).toMatch(message);
    expect((error as DriftguardError).where).toBe(SERVER);
  });
});
