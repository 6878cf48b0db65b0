// A render in a network namespace of its own, where the host's network does not exist: belt and braces
// behind the refusals made before any build (remote Kustomize resources, unvendored charts), since a
// Helm template can still resolve names (`getHostByName`). Linux `unshare --net --map-root-user` needs
// no privilege where unprivileged user namespaces are allowed; where they are not (some container
// runtimes), `auto` renders without it and says so once.
import { execFile } from "node:child_process";
import { findBinary } from "./tool-env.js";

export type NetworkIsolation = "auto" | "always" | "never";

/** The command that runs a tool without the network: prefix for the tool's argument array. */
export interface IsolationPrefix {
  binary: string;
  args: readonly string[];
}

export type IsolationStatus =
  | { kind: "isolated"; prefix: IsolationPrefix }
  | { kind: "not-isolated"; reason: string };

const UNSHARE_ARGS = ["--net", "--map-root-user", "--"];

/** Whether renders can run without the network here: tried once with `true`. */
export async function probeNetworkIsolation(wanted: NetworkIsolation): Promise<IsolationStatus> {
  if (wanted === "never") return { kind: "not-isolated", reason: "renderers.isolateNetwork is never" };
  const unshare = findBinary("unshare", "/usr/bin:/bin");
  const truth = findBinary("true", "/usr/bin:/bin");
  if (unshare === undefined || truth === undefined)
    return { kind: "not-isolated", reason: "unshare (util-linux) is not installed" };
  const failure = await run(unshare, [...UNSHARE_ARGS, truth]);
  if (failure !== undefined)
    return { kind: "not-isolated", reason: `unshare --net does not work here (${failure})` };
  return { kind: "isolated", prefix: { binary: unshare, args: UNSHARE_ARGS } };
}

function run(binary: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 5_000, env: { PATH: "/usr/bin:/bin" } }, (error, _stdout, stderr) => {
      if (!error) resolve(undefined);
      else resolve(stderr.trim().split("\n", 1)[0] || error.message.split("\n", 1)[0]);
    });
  });
}
