// How `history` reads DecisionRecords from the API server (a fake PageFetcher): the namespace in the
// path, a label selector with the Deployment's name, pages followed, 403 and a missing
// CRD as DG_CLUSTER_UNREACHABLE. --since is filtered on the client.
import { describe, expect, it } from "vitest";
import { runHistory } from "../../src/cli/history.js";
import { historyOf } from "../../src/core/history.js";
import { recordObject } from "../../src/kube/decision-records.js";
import type { PageFetcher } from "../../src/kube/deployment-list.js";
import { listRecords } from "../../src/kube/record-list.js";
import { sampleRecord } from "../support/decision-records.js";
import { unreachableKubeconfig } from "../support/unreachable-kubeconfig.js";

function fakeServer(pages: { status: number; body: unknown }[]) {
  const asked: string[] = [];
  const fetchPage: PageFetcher = async (path) => {
    asked.push(path);
    const page = pages.shift() ?? { status: 500, body: {} };
    return { status: page.status, body: JSON.stringify(page.body) };
  };
  return { fetchPage, asked };
}

describe("history: reading DecisionRecords", () => {
  it("asks the namespace's list with the Deployment's label, follows pages, skips what is no record", async () => {
    const server = fakeServer([
      {
        status: 200,
        body: { items: [recordObject(sampleRecord({}, 0))], metadata: { continue: "next page" } },
      },
      { status: 200, body: { items: [recordObject(sampleRecord({}, 1)), { spec: { not: "a record" } }] } },
    ]);
    const records = await listRecords(server.fetchPage, "https://k", { namespace: "shop", name: "web" });
    expect(records.map((r) => r.requestUid)).toEqual([
      sampleRecord({}, 0).requestUid,
      sampleRecord({}, 1).requestUid,
    ]);
    expect(server.asked).toEqual([
      "/apis/driftguard.io/v1alpha1/namespaces/shop/decisionrecords?limit=500&labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddriftguard%2Cdriftguard.io%2Fdeployment%3Dweb",
      "/apis/driftguard.io/v1alpha1/namespaces/shop/decisionrecords?limit=500&labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddriftguard%2Cdriftguard.io%2Fdeployment%3Dweb&continue=next%20page",
    ]);
  });

  it("a 403 or a missing CRD is DG_CLUSTER_UNREACHABLE, with the API server's message", async () => {
    const forbidden = fakeServer([{ status: 403, body: { message: "decisionrecords is forbidden" } }]);
    await expect(listRecords(forbidden.fetchPage, "https://k", {})).rejects.toMatchObject({
      code: "DG_CLUSTER_UNREACHABLE",
      message: "cannot list DecisionRecords (403 Forbidden): decisionrecords is forbidden",
    });
    const missing = fakeServer([
      { status: 404, body: { message: "the server could not find the requested resource" } },
    ]);
    await expect(listRecords(missing.fetchPage, "https://k", {})).rejects.toMatchObject({
      code: "DG_CLUSTER_UNREACHABLE",
      message:
        "cannot read DecisionRecords from the API server: listing DecisionRecords in all namespaces answered 404: the server could not find the requested resource",
    });
  });

  it("an API server nobody answers on is DG_CLUSTER_UNREACHABLE, naming the server", async () => {
    const kubeconfig = await unreachableKubeconfig();
    await expect(runHistory(["--kubeconfig", kubeconfig])).rejects.toMatchObject({
      code: "DG_CLUSTER_UNREACHABLE",
      where: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
    });
  });

  it("--since keeps the records at or after the time", () => {
    const records = [0, 1, 2].map((n) => sampleRecord({}, n));
    const since = Date.parse(records[1]!.time);
    expect(historyOf(records, { since }).items.map((r) => r.requestUid)).toEqual(
      records.slice(1).map((r) => r.requestUid),
    );
  });
});
