// No false positives on real manifests: every whole Deployment of the shared corpus, stored as the API
// server would store it (stand-in, see test/support/apiserver-standin.ts), is sent as CREATE and as a
// no-op UPDATE. Neither may show a single drifted path.
import { describe, expect, it } from "vitest";
import { decide } from "../../src/core/decide.js";
import type { JsonObject } from "../../src/core/types.js";
import { storedByApiServer } from "../support/apiserver-standin.js";
import { CORPUS_SKIP_REASON, corpusDeployments, corpusPresent } from "../support/corpus.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor, managed, request } from "../support/reviews.js";

const deployments = corpusDeployments();
const policy = testPolicy();

describe.skipIf(!corpusPresent)("corpus: no false positives", () => {
  if (!corpusPresent) console.warn(CORPUS_SKIP_REASON);

  it("finds the corpus Deployments", () => {
    expect(deployments.length).toBeGreaterThanOrEqual(150);
  });

  it.each(deployments.map((d) => [`${d.file}#${d.index} ${d.name}`, d] as const))("%s", (_label, d) => {
    const manifest = d.manifest as JsonObject;
    const desired = desiredFor(manifest, policy, d.namespace);
    const live = storedByApiServer(clone(manifest) as never, d.namespace) as JsonObject;
    const created = decide({
      request: request({ operation: "CREATE", object: live }),
      lookup: managed(desired),
      policy,
      namespaceTerminating: false,
    });
    expect(created.kind === "judged" && created.violations.map((v) => v.path)).toEqual([]);
    const next = clone(live);
    (next.metadata as JsonObject).resourceVersion = "2";
    const updated = decide({
      request: request({ operation: "UPDATE", object: next, oldObject: live }),
      lookup: managed(desired),
      policy,
      namespaceTerminating: false,
    });
    expect(
      updated.kind === "judged" && [...updated.violations, ...updated.preexisting].map((v) => v.path),
    ).toEqual([]);
  });
});
