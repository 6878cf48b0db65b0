// `propose --request UID`: a decision record turned into a proposal's input, compared again with Git's
// desired state as it is now.
import { describe, expect, it } from "vitest";
import type { RecordField } from "../../src/core/decision-record.js";
import { MASKED } from "../../src/core/types.js";
import { proposalFromRecord } from "../../src/propose/from-record.js";
import { refuseMasked } from "../../src/propose/manifest-edit.js";
import { sampleRecord } from "../support/decision-records.js";
import { deploymentManifest } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor } from "../support/reviews.js";

const IMAGE = ["spec", "template", "spec", "containers", "[name=web]", "image"];
const gitWith = (image: string, extra: Parameters<typeof deploymentManifest>[0] = {}) =>
  desiredFor(deploymentManifest({ image, ...extra }), testPolicy());
/** A record's field; `requested: undefined` leaves it out, as a record of a removal does. */
const field = (overrides: { [K in keyof RecordField]?: RecordField[K] | undefined }): RecordField => {
  const out = { ...base(), ...overrides } as RecordField;
  if (out.requested === undefined) delete out.requested;
  return out;
};
const base = (): RecordField => ({
  path: "spec.template.spec.containers[name=web].image",
  segments: IMAGE,
  group: "image",
  change: "changed",
  role: "violation",
  git: "nginx:1.27",
  requested: "nginx:evil",
  masked: false,
});
const drifts = (fields: RecordField[], git = gitWith("nginx:1.27")) =>
  proposalFromRecord(sampleRecord({ fields }), git).drifts.map(({ path, change, requested }) => [
    path,
    change,
    requested,
  ]);

describe("proposalFromRecord", () => {
  it("asks for what the request asked, by whom, at which time, against Git's origin now", () => {
    const git = gitWith("nginx:1.27");
    const input = proposalFromRecord(sampleRecord(), git);
    expect(input).toMatchObject({
      key: { namespace: "shop", name: "web" },
      uid: sampleRecord().requestUid,
      requester: { username: "alice" },
      at: sampleRecord().time,
      origin: git.origin,
    });
    expect(drifts([field({})])).toEqual([[field({}).path, "changed", "nginx:evil"]]);
  });

  it.each([
    ["Git already holds the requested value (merged since)", [field({})], gitWith("nginx:evil"), []],
    ["drift already live was not this request's doing", [field({ role: "preexisting" })], undefined, []],
    [
      "a field Git lacks is added",
      [field({ path: "metadata.labels.tier", segments: ["metadata", "labels", "tier"], requested: "web" })],
      undefined,
      [["metadata.labels.tier", "added", "web"]],
    ],
    [
      "a field removed that Git still has",
      [field({ change: "removed", requested: undefined })],
      undefined,
      [[field({}).path, "removed", undefined]],
    ],
    [
      "a field removed that Git no longer has",
      [
        field({
          path: "metadata.labels.tier",
          segments: ["metadata", "labels", "tier"],
          change: "removed",
          requested: undefined,
        }),
      ],
      undefined,
      [],
    ],
  ])("%s", (_what, fields, git, expected) => {
    expect(drifts(fields as RecordField[], git)).toEqual(expected);
  });

  it("keeps a masked value masked, so that the proposal refuses it instead of writing it into Git", () => {
    const env = field({
      path: "spec.template.spec.containers[name=web].env[name=TOKEN]",
      segments: ["spec", "template", "spec", "containers", "[name=web]", "env", "[name=TOKEN]"],
      group: "env",
      change: "added",
      requested: { name: "TOKEN", value: MASKED },
      masked: true,
    });
    const input = proposalFromRecord(sampleRecord({ fields: [env] }), gitWith("nginx:1.27"));
    expect(input.drifts[0]).toMatchObject({ sensitive: true, requested: MASKED });
    expect(() => refuseMasked(input.drifts)).toThrow(
      expect.objectContaining({ code: "DG_PROPOSE_VALUE_MASKED" }),
    );
  });

  it("refuses a DELETE: no edit of a file says the object is gone", () => {
    expect(() => proposalFromRecord(sampleRecord({ operation: "DELETE" }), gitWith("nginx:1.27"))).toThrow(
      expect.objectContaining({ code: "DG_PROPOSE_UNMAPPABLE" }),
    );
  });
});
