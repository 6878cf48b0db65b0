// materialize: the app's inputs and nothing else, with Git's paths and modes, never outside the folder.
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DriftguardError } from "../../src/errors.js";
import { kustomizeInputs, type ReadableInputs } from "../../src/render/inputs.js";
import { materialize } from "../../src/render/materialize.js";
import type { BlobTree } from "../../src/render/repo-tree.js";
import { memoryTree } from "../support/repo-trees.js";

let scratch: string;
let dir: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), "driftguard-materialize-test-"));
  dir = join(scratch, "render");
  await mkdir(dir);
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function listed(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

async function rejection(promise: Promise<unknown>): Promise<DriftguardError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DriftguardError);
  return error as DriftguardError;
}

describe("materialize", () => {
  const TGZ = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x80]);
  const tree = memoryTree({
    "apps/web/kustomization.yaml": "resources: [../../bases/web, ns.yaml]\n",
    "apps/web/ns.yaml": { link: "../../common/ns.yaml" },
    "apps/web/shared": { link: "../../lib" },
    "bases/web/kustomization.yaml": "resources: [deployment.yaml]\n",
    "bases/web/deployment.yaml": "kind: Deployment\n",
    "bases/web/hook.sh": { executable: "#!/bin/sh\necho hi\n" },
    "bases/web/chart.tgz": { bytes: TGZ },
    "common/ns.yaml": "kind: Namespace\n",
    "common/unread.yaml": "kind: Secret\n",
    "lib/x/y.yaml": "y: 1\n",
    "unrelated/kustomization.yaml": "resources: []\n",
  });

  it("writes exactly the inputs, with their modes, bytes and relative links", async () => {
    const inputs = await kustomizeInputs(tree, "apps/web");
    if (!inputs.ok) throw new Error(inputs.message);
    await materialize(tree, inputs, dir);
    expect(await listed(dir)).toEqual([
      "apps/web/kustomization.yaml",
      "apps/web/ns.yaml",
      "apps/web/shared",
      "bases/web/chart.tgz",
      "bases/web/deployment.yaml",
      "bases/web/hook.sh",
      "bases/web/kustomization.yaml",
      "common/ns.yaml",
      "lib/x/y.yaml",
    ]);
    expect(await readFile(join(dir, "bases/web/chart.tgz"))).toEqual(TGZ);
    expect((await lstat(join(dir, "bases/web/hook.sh"))).mode & 0o777).toBe(0o755);
    expect((await lstat(join(dir, "bases/web/deployment.yaml"))).mode & 0o777).toBe(0o644);
    expect(await readlink(join(dir, "apps/web/ns.yaml"))).toBe("../../common/ns.yaml");
    expect(await readFile(join(dir, "apps/web/ns.yaml"), "utf8")).toBe("kind: Namespace\n");
    expect(await readFile(join(dir, "apps/web/shared/x/y.yaml"), "utf8")).toBe("y: 1\n");
  });

  it("skips paths the app names that are not in the commit", async () => {
    const inputs: ReadableInputs = {
      ok: true,
      roots: ["bases/gone"],
      files: ["common/ns.yaml", "not/here.yaml"],
    };
    await materialize(tree, inputs, dir);
    expect(await listed(dir)).toEqual(["common/ns.yaml"]);
  });

  // Trees the analysis would refuse, handed over anyway: materialize still writes nothing outside.
  const hostile: [string, BlobTree, string, RegExp][] = [
    [
      "a path that climbs out",
      memoryTree({ "a/../../escaped": "x" }),
      "a/../../escaped",
      /does not stay inside/,
    ],
    [
      "an absolute link",
      memoryTree({ "a/link": { link: "/etc" } }),
      "a/link",
      /symbolic link to \/etc, outside/,
    ],
    [
      "a link that climbs out",
      memoryTree({ "a/link": { link: "../../.." } }),
      "a/link",
      /outside the render folder/,
    ],
    ["a submodule", memoryTree({ "a/sub": { submodule: true } }), "a/sub", /submodule/],
  ];
  it.each(hostile)("refuses %s", async (_name, hostileTree, path, words) => {
    const error = await rejection(materialize(hostileTree, { ok: true, roots: ["."], files: [] }, dir));
    expect(error.code).toBe("DG_RENDER_INPUT_UNREADABLE");
    expect(error.message).toContain(path);
    expect(error.message).toMatch(words);
    expect(await readdir(scratch)).toEqual(["render"]);
  });

  it("never writes through a link: a folder that is also a link fails", async () => {
    const both = memoryTree({ a: { link: ".." }, "a/x": "x" });
    await expect(materialize(both, { ok: true, roots: ["."], files: [] }, dir)).rejects.toThrow();
    expect(await readdir(scratch)).toEqual(["render"]);
    expect(await listed(dir)).toEqual(["a/x"]);
  });

  it("a blob Git cannot give is an error naming the file", async () => {
    const partial: BlobTree = {
      ...tree,
      readBlobs: (blobs, onBlob) =>
        tree.readBlobs(blobs, (blob, bytes) =>
          onBlob(blob, blob === tree.files.get("common/ns.yaml")?.blob ? undefined : bytes),
        ),
    };
    const error = await rejection(materialize(partial, { ok: true, roots: ["common"], files: [] }, dir));
    expect(error.message).toMatch(/^common\/ns.yaml cannot be read from Git/);
  });
});
