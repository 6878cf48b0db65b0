// The manual edits a user makes with kubectl, as a table: each is run against a managed Deployment in
// enforce mode (must be denied, object unchanged) and in audit mode (must pass, with warnings).
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubectlOptions } from "./kubectl.js";

export interface ManualEdit {
  name: string;
  args: (deployment: string) => string[];
  /** A path that the warning or denial must name. */
  names: string;
  /** Extra kubectl options (an EDITOR for `kubectl edit`). */
  options?: (workDir: string) => Promise<KubectlOptions>;
}

/** An EDITOR for `kubectl edit` that changes the container image in the file kubectl hands it. */
async function imageEditor(workDir: string): Promise<KubectlOptions> {
  const script = join(workDir, "edit-image.sh");
  await writeFile(script, `#!/bin/sh\nsed -i 's#image: nginx:[^ ]*#image: nginx:edited-by-hand#' "$1"\n`);
  await chmod(script, 0o755);
  return { env: { KUBE_EDITOR: script, TMPDIR: workDir } };
}

export const MANUAL_EDITS: readonly ManualEdit[] = [
  {
    name: "kubectl edit (image)",
    args: (d) => ["edit", `deployment/${d}`],
    names: ".image",
    options: imageEditor,
  },
  {
    name: "patch --type=json",
    args: (d) => [
      "patch",
      `deployment/${d}`,
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:json-patch"}]',
    ],
    names: "containers[name=web].image",
  },
  {
    name: "patch --type=merge",
    args: (d) => ["patch", `deployment/${d}`, "--type=merge", "-p", '{"spec":{"replicas":7}}'],
    names: "spec.replicas",
  },
  {
    name: "patch --type=strategic",
    args: (d) => [
      "patch",
      `deployment/${d}`,
      "--type=strategic",
      "-p",
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"DEBUG","value":"1"}]}]}}}}',
    ],
    names: "env[name=DEBUG]",
  },
  {
    name: "set image",
    args: (d) => ["set", "image", `deployment/${d}`, "web=nginx:set-image"],
    names: ".image",
  },
  {
    name: "set env",
    args: (d) => ["set", "env", `deployment/${d}`, "LOG_LEVEL=debug"],
    names: "env[name=LOG_LEVEL]",
  },
  {
    name: "set resources",
    args: (d) => ["set", "resources", `deployment/${d}`, "-c", "web", "--limits=memory=256Mi"],
    names: "resources",
  },
  { name: "scale", args: (d) => ["scale", `deployment/${d}`, "--replicas=5"], names: "spec.replicas" },
  {
    name: "scale --replicas=0",
    args: (d) => ["scale", `deployment/${d}`, "--replicas=0"],
    names: "spec.replicas",
  },
  { name: "rollout undo", args: (d) => ["rollout", "undo", `deployment/${d}`], names: ".image" },
  // After undo: kubectl refuses to roll back a paused Deployment.
  { name: "rollout pause", args: (d) => ["rollout", "pause", `deployment/${d}`], names: "spec.paused" },
  { name: "annotate", args: (d) => ["annotate", `deployment/${d}`, "owner=someone"], names: "annotations" },
  { name: "label", args: (d) => ["label", `deployment/${d}`, "tier=frontend"], names: "labels" },
  { name: "delete", args: (d) => ["delete", `deployment/${d}`, "--wait=false"], names: "deleted" },
];
