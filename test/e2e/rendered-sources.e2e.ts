// Rendered sources through the real API server (docs/contract.md §2a): every Deployment of every render
// of ../shared/corpus-rendered, taken from the tool's own stored output, goes through driftguard in
// enforce mode as the GitOps tool applies it (server-side apply as the GitOps identity, again, replace),
// then a plain user's rollout restart and the HPA identity's scale. Each matches Git or is exempt, so any
// denial is a false one. Then a plain user's manual edits of one Kustomize and one Helm Deployment are
// denied, naming the field, the app and the file or template it came from. How each render gets a
// namespace of its own is in support/rendered.ts.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { formatPath } from "../../src/core/paths.js";
import { parseManifestFile } from "../../src/sources/manifest-parser.js";
import { CORPUS_RENDERED_DIR } from "../support/corpus-rendered.js";
import { ALICE, GITOPS, HPA } from "./support/cluster-setup.js";
import { type KubectlResult, kubectl } from "./support/kubectl.js";
import { writableState } from "./support/objects.js";
import {
  RENDERED_ROOT,
  type RenderedCase,
  type RenderedObject,
  renderedObjects,
} from "./support/rendered.js";

const testbed = inject("testbed");
const layout = testbed.rendered;
const missing = testbed.renderedMissing;

/** A replica count no render uses, so that every scale changes something. */
const SCALED_TO = 5;
/** Argo CD's field manager for server-side apply. */
const GITOPS_FIELD_MANAGER = "argocd-controller";
/**
 * Objects per `kubectl scale` call: its client sends a burst of 10 requests, then 5 a second
 * (measured: 14 s for 79 objects in one call, under 1 s for 10).
 */
const SCALE_CALL = 10;
/** `kubectl replace` writes with the resourceVersion it just read: a status write in between conflicts. */
const REPLACE_ATTEMPTS = 5;

interface Outcome {
  /** `namespace/name` of each Deployment that driftguard denied. */
  denied: string[];
  /** Lines of errors that are not driftguard's (the API server's own validation, kubectl). */
  refused: string[];
  /** driftguard's warnings (kubectl prints each distinct one once per call). */
  warnings: string[];
  /** Names of Deployments whose write lost a race with the deployment controller's status writes. */
  conflicts: string[];
}

interface Step {
  name: string;
  user: string;
  /** kubectl's arguments for a file of objects. */
  args: (file: string) => string[];
  objects: readonly RenderedObject[];
  perCall?: number;
  /** Retry objects that hit a write conflict (kubectl replace), as a GitOps tool retries its sync. */
  retryConflicts?: boolean;
  /** The step expects denials (the managed check): they are not false ones. */
  expectDenials?: boolean;
}

interface StepCount {
  step: string;
  operations: number;
  denials: number;
  retried: number;
  expectDenials: boolean;
}

const DENIAL = /denied the request: driftguard: Deployment ([^\s/]+)\/(\S+) /g;
const CONFLICT = /Operation cannot be fulfilled on deployments\.apps "([^"]+)": the object has been modified/;

function outcomeOf(result: KubectlResult): Outcome {
  const denied = [...result.stderr.matchAll(DENIAL)].map((match) => `${match[1]}/${match[2]}`);
  const outcome: Outcome = { denied, refused: [], warnings: [], conflicts: [] };
  for (const line of result.stderr.split("\n")) {
    const conflict = CONFLICT.exec(line)?.[1];
    if (conflict !== undefined) outcome.conflicts.push(conflict);
    else if (line.startsWith("Warning: driftguard")) outcome.warnings.push(line);
    else if (/^(Error|error)/.test(line) && !line.includes("denied the request")) outcome.refused.push(line);
  }
  return outcome;
}

const keyOf = (object: RenderedObject) => `${object.namespace}/${object.name}`;

function containersOf(object: RenderedObject): string[] {
  const spec = object.object.spec as { template?: { spec?: { containers?: { name: string }[] } } };
  return (spec.template?.spec?.containers ?? []).map((container) => container.name);
}

const replicasOf = (object: RenderedObject) => (object.object.spec as { replicas?: number }).replicas;

/** A kubectl file of many objects: one call, and the webhook still sees each object. */
async function listFile(name: string, objects: readonly RenderedObject[]): Promise<string> {
  const dir = join(testbed.workDir, "rendered-sources");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.json`);
  const list = { apiVersion: "v1", kind: "List", items: objects.map((object) => object.object) };
  await writeFile(file, `${JSON.stringify(list, null, 2)}\n`);
  return file;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** One step over its objects, in as few kubectl calls as it allows; every object is counted. */
async function runStep(step: Step, counts: StepCount[]): Promise<Outcome> {
  const total: Outcome = { denied: [], refused: [], warnings: [], conflicts: [] };
  const count: StepCount = {
    step: step.name,
    operations: 0,
    denials: 0,
    retried: 0,
    expectDenials: step.expectDenials === true,
  };
  for (const [index, chunk] of chunks(step.objects, step.perCall ?? step.objects.length).entries()) {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const file = await listFile(`${step.name}-${index}-${attempt}`, pending);
      const outcome = outcomeOf(await kubectl(testbed, step.user, step.args(file), { timeoutMs: 110_000 }));
      count.operations += pending.length;
      total.denied.push(...outcome.denied);
      total.refused.push(...outcome.refused);
      total.warnings.push(...outcome.warnings);
      const conflicted = new Set(outcome.conflicts);
      const retry = step.retryConflicts === true && attempt < REPLACE_ATTEMPTS;
      if (!retry) total.conflicts.push(...conflicted);
      pending = retry ? pending.filter((object) => conflicted.has(object.name)) : [];
      count.retried += pending.length;
    }
  }
  count.denials = total.denied.length;
  counts.push(count);
  for (const line of total.refused) process.stdout.write(`  ${step.name}: ${line}\n`);
  return total;
}

const CLEAN: Outcome = { denied: [], refused: [], warnings: [], conflicts: [] };

describe.skipIf(!layout)("rendered sources through the real API server (enforce mode)", () => {
  const cases = layout?.cases ?? [];
  const perCase = new Map<RenderedCase, RenderedObject[]>();
  const all: RenderedObject[] = [];
  const counts: StepCount[] = [];
  const replicasUnset = () => all.filter((o) => replicasOf(o) === undefined);
  const replicasSet = () => all.filter((o) => replicasOf(o) !== undefined);

  beforeAll(() => {
    for (const render of cases) {
      const objects = renderedObjects(render);
      perCase.set(render, objects);
      all.push(...objects);
    }
  });

  afterAll(() => {
    const falseDenials = counts.filter((c) => !c.expectDenials).reduce((sum, c) => sum + c.denials, 0);
    const total = counts.reduce((sum, c) => sum + c.operations, 0);
    console.info(
      [
        `rendered sources: ${cases.length} renders, ${all.length} Deployments, ${total} operations through the API server`,
        ...counts.map(
          (c) =>
            `  ${c.step}: ${c.operations} operations, ${c.denials} denied${c.expectDenials ? " (expected)" : ""}` +
            (c.retried > 0
              ? `, ${c.retried} retried after a write conflict with the deployment controller`
              : ""),
        ),
        `  false denials: ${falseDenials}`,
      ].join("\n"),
    );
  });

  test("every render has Deployments, and every Deployment exactly one desired state", () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const render of cases) expect(perCase.get(render)?.length, render.title).toBeGreaterThan(0);
    const keys = all.map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(all.map((o) => o.namespace))).toEqual(new Set(layout?.namespaces));
  });

  test("first sync: server-side apply as the GitOps identity creates every one", async () => {
    const outcome = await runStep(
      {
        name: "apply --server-side (GitOps, create)",
        user: GITOPS.key,
        args: (file) => ["apply", "--server-side", `--field-manager=${GITOPS_FIELD_MANAGER}`, "-f", file],
        objects: all,
      },
      counts,
    );
    expect(outcome).toEqual(CLEAN);
    const file = await listFile("all", all);
    const listed = await kubectl(testbed, "admin", ["get", "-f", file, "-o", "name"]);
    expect(listed.stdout.trim().split("\n")).toHaveLength(all.length);
  });

  test.each([
    {
      name: "apply --server-side again (GitOps)",
      user: GITOPS.key,
      args: (file: string) => [
        "apply",
        "--server-side",
        `--field-manager=${GITOPS_FIELD_MANAGER}`,
        "-f",
        file,
      ],
    },
    {
      name: "replace (GitOps)",
      user: GITOPS.key,
      args: (file: string) => ["replace", "-f", file],
      retryConflicts: true,
    },
    {
      name: "rollout restart (plain user)",
      user: ALICE.name,
      args: (file: string) => ["rollout", "restart", "-f", file],
    },
  ])("$name: allowed, without a drift warning", async (step) => {
    expect(await runStep({ ...step, objects: all }, counts)).toEqual(CLEAN);
  });

  test("scale by the HPA identity where the render leaves replicas out: nothing to judge", async () => {
    const objects = replicasUnset();
    expect(objects.length).toBeGreaterThan(0);
    const outcome = await runStep(
      {
        name: "scale (HPA), replicas not in Git",
        user: HPA.key,
        args: (file) => ["scale", `--replicas=${SCALED_TO}`, "-f", file],
        objects,
        perCall: SCALE_CALL,
      },
      counts,
    );
    expect(outcome).toEqual(CLEAN);
  });

  test("scale by the HPA identity where the render sets replicas: exempt, allowed with a warning", async () => {
    const objects = replicasSet();
    const outcome = await runStep(
      {
        name: "scale (HPA), replicas set in Git",
        user: HPA.key,
        args: (file) => ["scale", `--replicas=${SCALED_TO}`, "-f", file],
        objects,
        perCall: SCALE_CALL,
      },
      counts,
    );
    expect({ ...outcome, warnings: [] }).toEqual(CLEAN);
    // kubectl prints a repeated warning once per call: each of Git's values must appear, as an exemption.
    for (const replicas of new Set(objects.map(replicasOf))) {
      const line = `spec.replicas: Git ${replicas}, request ${SCALED_TO}`;
      expect(
        outcome.warnings.some((w) => w.includes("exempted") && w.includes(line)),
        line,
      ).toBe(true);
    }
  });

  test("every one is managed: a plain user's label (server-side dry-run) is denied for each", async () => {
    const outcome = await runStep(
      {
        name: "label --dry-run=server (managed check)",
        user: ALICE.name,
        args: (file) => ["label", "-f", file, "driftguard-e2e-probe=by-hand", "--dry-run=server"],
        objects: all,
        expectDenials: true,
      },
      counts,
    );
    expect(outcome.refused).toEqual([]);
    expect([...outcome.denied].sort()).toEqual(all.map(keyOf).sort());
  });

  describe.each(["kustomize", "helm"] as const)("a plain user's manual edit of a %s app", (type) => {
    const render = cases.find((c) => c.app.type === type);
    const target = (): RenderedObject => {
      const object = render && perCase.get(render)?.[0];
      if (!object) throw new Error(`no ${type} render with a Deployment`);
      return object;
    };
    const container = () => containersOf(target())[0] ?? "";
    // A field that Git's object lacks altogether is drift at the first level Git lacks (docs/contract.md
    // §3: extra fields count): a label where the render has no labels is `metadata.labels`.
    const edits = [
      {
        name: "set image",
        args: (d: string, c: string) => ["set", "image", d, `${c}=example.invalid/edited-by-hand:1`],
        path: (o: RenderedObject, c: string) => driftPath(o, [...containerPath(c), "image"]),
      },
      {
        name: "set env",
        args: (d: string, c: string) => ["set", "env", d, "-c", c, "DRIFTGUARD_E2E_EDIT=by-hand"],
        path: (o: RenderedObject, c: string) =>
          driftPath(o, [...containerPath(c), "env", "[name=DRIFTGUARD_E2E_EDIT]"]),
      },
      {
        name: "label",
        args: (d: string) => ["label", d, "driftguard-e2e-edit=by-hand"],
        path: (o: RenderedObject) => driftPath(o, ["metadata", "labels", "driftguard-e2e-edit"]),
      },
    ];

    test.each(edits)("$name is denied, naming the field, the app and where it came from", async (edit) => {
      const object = target();
      const before = await writableState(testbed, object.name, object.namespace);
      const args = [...edit.args(`deployment/${object.name}`, container()), "-n", object.namespace];
      const result = await kubectl(testbed, ALICE.name, args);
      const outcome = outcomeOf(result);
      counts.push({
        step: `${type} ${edit.name} (manual edit)`,
        operations: 1,
        denials: outcome.denied.length,
        retried: 0,
        expectDenials: true,
      });
      expect(result.code, result.stdout).not.toBe(0);
      expect(outcome.denied).toEqual([keyOf(object)]);
      expect(result.stderr).toContain(`  - ${edit.path(object, container())}: `);
      expect(result.stderr).toContain(`${type} app ${render?.app.path} (from `);
      expectOrigin(result.stderr, render, object);
      expect(await writableState(testbed, object.name, object.namespace)).toEqual(before);
    });
  });
});

const containerPath = (name: string) => ["spec", "template", "spec", "containers", `[name=${name}]`];

/** `path` cut after its first segment that the render does not hold, as driftguard prints it. */
function driftPath(object: RenderedObject, path: readonly string[]): string {
  let node: unknown = object.object;
  for (const [index, segment] of path.entries()) {
    node = childOf(node, segment);
    if (node === undefined) return formatPath(path.slice(0, index + 1));
  }
  return formatPath(path);
}

/** A field, or a `[key=value]` element of a list. */
function childOf(node: unknown, segment: string): unknown {
  const element = /^\[(\w+)=(.*)\]$/.exec(segment);
  if (element && Array.isArray(node))
    return node.find((item) => String((item as Record<string, unknown>)?.[element[1] ?? ""]) === element[2]);
  return node !== null && typeof node === "object" ? (node as Record<string, unknown>)[segment] : undefined;
}

/**
 * Helm: the template of the stored render's `# Source:` line. Kustomize's stored renders carry no origin,
 * so the file named must be one of the corpus source's, declaring this Deployment.
 */
function expectOrigin(stderr: string, render: RenderedCase | undefined, object: RenderedObject): void {
  const from = new RegExp(`${render?.app.type} app \\S+ \\(from ([^)\\s]+)\\)`).exec(stderr)?.[1];
  if (object.template !== undefined) {
    expect(from).toBe(object.template);
    return;
  }
  const prefix = `${RENDERED_ROOT}/${render?.source}/`;
  expect(from?.startsWith(prefix), `${from} is in ${prefix}`).toBe(true);
  const file = join(CORPUS_RENDERED_DIR, render?.source ?? "", (from ?? "").slice(prefix.length));
  expect(existsSync(file), file).toBe(true);
  const declared = parseManifestFile(file, readFileSync(file, "utf8"), "default").docs.map((doc) => doc.name);
  expect(
    declared.some((name) => object.name.includes(name)),
    `${from} declares ${object.name}`,
  ).toBe(true);
}

if (!layout) {
  if (missing?.required) {
    test("rendered sources through the real API server: the render tools are required", () => {
      throw new Error(missing.reason);
    });
  } else {
    test.skip(`rendered sources through the real API server: ${missing?.reason ?? "no rendered apps"}`, () => {});
  }
}
