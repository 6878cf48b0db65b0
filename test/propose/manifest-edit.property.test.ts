// Property: whatever string an image, label or env value is set to (YAML 1.1 booleans like `yes`, numbers,
// `#`, `: `, quotes, newlines, unicode), the edited file reads back with exactly that value, Git then
// says what was asked, and every line the edit did not touch stays as it was.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { prepareDesired } from "../../src/core/desired.js";
import type { JsonObject } from "../../src/core/types.js";
import { requestedDrifts } from "../../src/propose/from-review.js";
import { editManifest } from "../../src/propose/manifest-edit.js";
import { testPolicy } from "../support/policy.js";
import { clone } from "../support/reviews.js";

const KEY = { namespace: "shop", name: "web" };
const ORIGIN = { source: "apps", commit: "c".repeat(40), file: "web.yaml" };
const FILE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, tier: "front"}   # flow map
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25   # plain
        env:
        - {name: MODE, value: 'prod'}
`;

const tricky = fc.oneof(
  fc.constantFrom(
    "yes",
    "no",
    "on",
    "off",
    "~",
    "null",
    "1.0",
    "0x1F",
    "012",
    "12:30",
    "-",
    "? x",
    "a: b",
    "#x",
    "x #y",
    "'",
    '"',
    "\\",
    "",
    " lead",
    "trail ",
    "line\nbreak",
    "ünï",
  ),
  fc.string({ minLength: 0, maxLength: 20 }),
);

function gitObject(text: string): JsonObject {
  return parseAllDocuments(text, { version: "1.1" })[0]?.toJS() as JsonObject;
}

describe("editManifest (property)", () => {
  it("sets any string as image, label and env value, and nothing else moves", () => {
    const desired = prepareDesired(gitObject(FILE), KEY, ORIGIN, testPolicy());
    const target = { key: KEY, defaultNamespace: "shop", file: ORIGIN.file };
    fc.assert(
      fc.property(tricky, tricky, tricky, (image, tier, mode) => {
        fc.pre(image.trim() !== "" && image !== "nginx:1.25");
        const requested = clone(gitObject(FILE));
        const pod = ((requested.spec as JsonObject).template as JsonObject).spec as JsonObject;
        const container = (pod.containers as JsonObject[])[0] as JsonObject;
        container.image = image;
        ((requested.metadata as JsonObject).labels as JsonObject).tier = tier;
        ((container.env as JsonObject[])[0] as JsonObject).value = mode;
        const drifts = requestedDrifts(requested, desired);
        // editManifest itself reads the file back and refuses unless Git then holds every value.
        const edited = editManifest(FILE, target, drifts, desired.options);
        const after = gitObject(edited);
        const afterContainer = (
          (((after.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[]
        )[0] as JsonObject;
        expect(afterContainer.image).toBe(image);
        const untouched = FILE.split("\n").filter((line) => !/image:|tier|MODE/.test(line));
        for (const line of untouched) expect(edited.split("\n")).toContain(line);
      }),
      { numRuns: 300 },
    );
  });
});
