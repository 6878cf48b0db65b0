// The Dockerfile, checked without a Docker engine (there is none here): dockerfile-utils' validator,
// then the properties a cluster admin expects of the image, read from the instructions.
// Not checked here: that the image builds and runs (that needs an engine and the base image).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { pinnedRenderToolVersions, RENDER_TOOLS_SCRIPT } from "../support/render-tools.js";
import { REPO_ROOT } from "./helm.js";

const TEXT = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
/** The two scripts that build the render tools outside the image. */
const TOOL_SCRIPTS = [RENDER_TOOLS_SCRIPT, join(REPO_ROOT, "test/testbed/helm.sh")].map((path) =>
  readFileSync(path, "utf8"),
);

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

function stages(list: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const instruction of list) {
    if (instruction.keyword === "FROM") out.push([]);
    out.at(-1)?.push(instruction);
  }
  return out;
}

/**
 * Every `-X symbol=value` of a Go link, with the shell variables of `text` that hold a literal expanded
 * (helm.sh names a package path once) and the rest (the versions) written `*`: comparable across files.
 */
function linkStamps(text: string): string[] {
  const literals = new Map([...text.matchAll(/^\s*(\w+)="([^"$]*)"$/gm)].map((m) => [m[1], m[2]]));
  const expand = (word: string): string =>
    word.replace(/\$\{?(\w+)\}?/g, (_, name: string) => literals.get(name) ?? "*");
  return [...text.matchAll(/-X\s+([^\s"=]+)=([^\s"]*)/g)].map(
    (m) => `${expand(m[1] ?? "")}=${expand(m[2] ?? "")}`,
  );
}

/** `${name}`: how the Dockerfile refers to an ARG (written so that it is no placeholder here). */
const argRef = (name: string): string => `\${${name}}`;

/** The default of `ARG name=…`. */
function argDefault(list: readonly Instruction[], name: string): string | undefined {
  return list.find((i) => i.keyword === "ARG" && i.args.startsWith(`${name}=`))?.args.slice(name.length + 1);
}

describe("Dockerfile", () => {
  const all = instructions(TEXT);
  const byName = (alias: string) => stages(all).find((stage) => stage[0]?.args.endsWith(` AS ${alias}`));
  const tools = byName("tools");
  const build = byName("build");
  const final = stages(all).at(-1);

  it("passes dockerfile-utils' validator without a warning", () => {
    expect(validate(TEXT).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("the validator does find problems (it is not a no-op)", () => {
    expect(validate("FROM node:20\nRUN\nEXPOSE port\n").length).toBeGreaterThan(0);
  });

  it("is multi-stage on a Node 20 base pinned to a full version", () => {
    expect(stages(all)).toHaveLength(3);
    expect(all.find((i) => i.keyword === "ARG")?.args).toMatch(
      /^NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/,
    );
    const baseRef = ["$", "{NODE_IMAGE}"].join(""); // the ARG, referenced by both stages
    expect(build?.[0]?.args).toBe(`${baseRef} AS build`);
    expect(final?.[0]?.args).toBe(baseRef);
  });

  it("the final stage has production dependencies only, git and ssh, no build tools and no npm", () => {
    const run = (final ?? [])
      .filter((i) => i.keyword === "RUN")
      .map((i) => i.args)
      .join(" ");
    expect(run).toMatch(/apt-get install -y --no-install-recommends git openssh-client ca-certificates/);
    expect(run).not.toMatch(/npm (ci|install)|build-essential|gcc|make|python/);
    expect(run).toContain("rm -rf /var/lib/apt/lists/*");
    // The base image's package managers go too: nothing is installed at run time.
    expect(run).toContain("/usr/local/lib/node_modules/npm");
    expect(run).toContain("/usr/local/bin/npx");
    const copies = (final ?? []).filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies.every((args) => /^--from=(build|tools) /.test(args))).toBe(true);
    expect((build ?? []).map((i) => i.args).join(" ")).toContain("npm prune --omit=dev");
  });

  it("builds kustomize and helm on a Go 1.26 bookworm image pinned to a full version", () => {
    expect(argDefault(all, "GO_IMAGE")).toMatch(/^golang:1\.26\.\d+-bookworm$/);
    expect(tools?.[0]?.args).toBe(`${argRef("GO_IMAGE")} AS tools`);
    const run = (tools ?? []).filter((i) => i.keyword === "RUN").map((i) => i.args);
    expect(run.join(" ")).toContain(`"sigs.k8s.io/kustomize/kustomize/v5@${argRef("KUSTOMIZE_VERSION")}"`);
    expect(run.join(" ")).toContain(`"helm.sh/helm/v3/cmd/helm@${argRef("HELM_VERSION")}"`);
  });

  it("builds them at the versions and with the flags of scripts/render-tools.sh and helm.sh", () => {
    const pinned = pinnedRenderToolVersions();
    expect(argDefault(tools ?? [], "KUSTOMIZE_VERSION")).toBe(pinned.kustomize);
    expect(argDefault(tools ?? [], "HELM_VERSION")).toBe(pinned.helm);
    const helmMinor = /DRIFTGUARD_HELM_K8S_MINOR:-(\d+)/.exec(TOOL_SCRIPTS[1] ?? "")?.[1];
    expect(argDefault(tools ?? [], "HELM_K8S_MINOR")).toBe(helmMinor);
    const stage = (tools ?? []).map((i) => `${i.keyword} ${i.args}`).join("\n");
    const stamps = linkStamps(stage).sort();
    expect(stamps).toEqual(TOOL_SCRIPTS.flatMap(linkStamps).sort());
    expect(stamps).toContain("sigs.k8s.io/kustomize/api/provenance.version=kustomize/*");
    expect(stamps).toContain("helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=*");
    for (const text of [stage, ...TOOL_SCRIPTS]) {
      expect(text).toContain("CGO_ENABLED=0");
      expect(text).toMatch(/go install -trimpath/);
      expect(text).toMatch(/-ldflags "-s -w /);
    }
  });

  it("the tools stage fails when a tool does not print its pinned version", () => {
    const run = (tools ?? [])
      .filter((i) => i.keyword === "RUN")
      .map((i) => i.args)
      .join(" ");
    expect(run).toContain(`test "$(/tools/kustomize version)" = "${argRef("KUSTOMIZE_VERSION")}"`);
    expect(run).toContain(`test "$(/tools/helm version --short)" = "${argRef("HELM_VERSION")}"`);
  });

  it("the final stage ships kustomize and helm in /usr/local/bin", () => {
    const copies = (final ?? []).filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies).toContain("--from=tools /tools/kustomize /tools/helm /usr/local/bin/");
  });

  it("runs as a numeric non-root user, with an exec-form entrypoint", () => {
    const user = (final ?? []).filter((i) => i.keyword === "USER").at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect((final ?? []).find((i) => i.keyword === "ENTRYPOINT")?.args).toMatch(/^\["node",/);
  });

  it(".dockerignore keeps local state and secrets out of the build context", () => {
    const ignored = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8").split("\n");
    for (const entry of [".git", "node_modules", "dist", "certs", ".driftguard"])
      expect(ignored).toContain(entry);
  });
});
