// The Dockerfile, checked without a Docker engine (there is none here): dockerfile-utils' validator,
// then the properties a cluster admin expects of the image, read from the instructions.
// Not checked here: that the image builds and runs (that needs an engine and the base image).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helm.js";

const TEXT = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");

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

describe("Dockerfile", () => {
  const all = instructions(TEXT);
  const [build, final] = stages(all);

  it("passes dockerfile-utils' validator without a warning", () => {
    expect(validate(TEXT).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("the validator does find problems (it is not a no-op)", () => {
    expect(validate("FROM node:20\nRUN\nEXPOSE port\n").length).toBeGreaterThan(0);
  });

  it("is multi-stage on a Node 20 base pinned to a full version", () => {
    expect(stages(all)).toHaveLength(2);
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
    expect(copies.every((args) => args.startsWith("--from=build "))).toBe(true);
    expect((build ?? []).map((i) => i.args).join(" ")).toContain("npm prune --omit=dev");
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
