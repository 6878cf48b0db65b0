// What a Helm app reads: its chart folder (with the subcharts vendored under charts/) and its value
// files. helm template refuses a chart whose Chart.yaml lists a dependency missing from charts/,
// and driftguard never runs `helm dependency build` (it downloads): such a chart is refused here,
// with the way out. Value files must be plain files of the repository.
import { parseDocument } from "yaml";
import { InputSet } from "./input-set.js";
import { Refusal, refuse } from "./refusal.js";
import { remoteReason } from "./remote-refs.js";
import { isAbsolutePath, joinRepoPath, shownPath } from "./repo-paths.js";
import { pathKind, pathsUnder, type RepoTree } from "./repo-tree.js";

interface Dependency {
  name: string;
  alias: string | undefined;
}

type Json = { [key: string]: unknown };

const VENDOR_HINT = "vendor it under charts/; driftguard never runs helm dependency build";

export async function collectHelmInputs(
  tree: RepoTree,
  app: string,
  valueFiles: readonly string[],
): Promise<InputSet> {
  const inputs = new InputSet(tree);
  const resolved = await inputs.links.resolve(app);
  inputs.addResolved(resolved);
  const chart = resolved.path;
  const chartFile = chart === "" ? "Chart.yaml" : `${chart}/Chart.yaml`;
  if (pathKind(tree, chartFile) === "missing")
    throw new Refusal(`${shownPath(chart)} holds no Chart.yaml: it is not a Helm chart`, shownPath(chart));
  await checkVendored(inputs, chart, chartFile);
  for (const valueFile of valueFiles) await addValueFile(inputs, app, valueFile);
  await inputs.close();
  return inputs;
}

/** Every dependency of Chart.yaml (requirements.yaml for apiVersion v1 charts) must be under charts/. */
async function checkVendored(inputs: InputSet, chart: string, chartFile: string): Promise<void> {
  const requirements = joinRepoPath(chart, "requirements.yaml") as string;
  const dependencies = [
    ...dependenciesOf(await readMap(inputs, chartFile)),
    ...dependenciesOf(await readMap(inputs, requirements)),
  ];
  if (dependencies.length === 0) return;
  const charts = (await inputs.links.resolve(joinRepoPath(chart, "charts") as string)).path;
  const vendored = await vendoredNames(inputs, charts);
  for (const dependency of dependencies) {
    if (vendored.has(dependency.name) || (dependency.alias !== undefined && vendored.has(dependency.alias)))
      continue;
    throw refuse(
      chartFile,
      `dependency "${dependency.name}" is not vendored in ${shownPath(charts)}/ (as a folder, or ${dependency.name}-<version>.tgz): ${VENDOR_HINT}`,
    );
  }
}

/**
 * The names under charts/ a dependency may be found by: each subfolder's name and its Chart.yaml's
 * name (what helm matches), and each archive's name without `-<version>.tgz` (helm reads the name
 * inside the archive; the file name is what `helm dependency build` writes, and a loose stand-in).
 */
async function vendoredNames(inputs: InputSet, charts: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const path of pathsUnder(inputs.tree, charts)) {
    const [child, next] = path.slice(charts === "" ? 0 : charts.length + 1).split("/");
    if (child === undefined) continue;
    if (next === undefined) {
      for (const name of archiveNames(child)) names.add(name);
    } else if (next === "Chart.yaml") {
      names.add(child);
      const name = (await readMap(inputs, path))?.name;
      if (typeof name === "string") names.add(name);
    }
  }
  return names;
}

/** `a-b-1.2.3.tgz` → `a-b-1.2.3`, `a-b`, `a`: every name a version suffix could follow (a name may hold digits). */
function archiveNames(file: string): string[] {
  if (!file.endsWith(".tgz")) return [];
  const stem = file.slice(0, -".tgz".length);
  const names = [stem];
  for (const match of stem.matchAll(/-(?=v?\d)/g)) names.push(stem.slice(0, match.index));
  return names;
}

function dependenciesOf(chart: Json | undefined): Dependency[] {
  const list = Array.isArray(chart?.dependencies) ? chart.dependencies : [];
  return list.flatMap((item: unknown) => {
    const dependency = item !== null && typeof item === "object" ? (item as Json) : {};
    if (typeof dependency.name !== "string" || dependency.name === "") return [];
    const alias =
      typeof dependency.alias === "string" && dependency.alias !== "" ? dependency.alias : undefined;
    return [{ name: dependency.name, alias }];
  });
}

/** A value file, relative to the app's path: a plain file of the repository, or the app is refused. */
async function addValueFile(inputs: InputSet, app: string, valueFile: string): Promise<void> {
  const quoted = `value file "${valueFile}"`;
  const remote = remoteReason(valueFile);
  if (remote !== undefined)
    throw new Refusal(`${quoted} ${remote}: value files must be files of the repository`, valueFile);
  if (isAbsolutePath(valueFile))
    throw new Refusal(
      `${quoted} is an absolute path: value files must be files of the repository`,
      valueFile,
    );
  const path = joinRepoPath(app, valueFile);
  if (path === undefined)
    throw new Refusal(
      `${quoted} leaves the repository (from ${shownPath(app)}): a render may read only the repository`,
      valueFile,
    );
  const resolved = await inputs.links.resolve(path);
  const kind = pathKind(inputs.tree, resolved.path);
  if (kind !== "file")
    throw new Refusal(
      `${quoted} (${path}) ${kind === "folder" ? "is a folder" : "is not in the repository at this commit"}`,
      path,
    );
  inputs.addResolved(resolved);
}

async function readMap(inputs: InputSet, path: string): Promise<Json | undefined> {
  if (pathKind(inputs.tree, path) === "missing") return undefined;
  const resolved = await inputs.links.resolve(path);
  inputs.addResolved(resolved);
  if (pathKind(inputs.tree, resolved.path) !== "file") return undefined;
  const text = await inputs.tree.read(resolved.path);
  if (text === undefined) return undefined;
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) return undefined; // helm says what is wrong with it
  const value: unknown = doc.toJS();
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}
