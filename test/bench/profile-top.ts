// Reads a V8 CPU profile (`node --cpu-prof`, or BENCH_CPU_PROF=DIR for the server under load) and prints
// the functions with the most self time, and the share of each source file: where the time goes, in one
// screen. Usage: `npx tsx test/bench/profile-top.ts FILE.cpuprofile [N] [fnA,fnB,…]` (the last
// argument prints the inclusive time of the functions so named).
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in microseconds per node id (samples weighted by the delta that follows each). */
function selfTimes(profile: Profile): Map<number, number> {
  const times = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    times.set(id, (times.get(id) ?? 0) + delta);
  });
  return times;
}

function shortUrl(url: string): string {
  const at = url.lastIndexOf("/node_modules/");
  if (at >= 0) return url.slice(at + "/node_modules/".length);
  const src = Math.max(url.lastIndexOf("/src/"), url.lastIndexOf("/test/"), url.lastIndexOf("/dist/"));
  return src >= 0 ? url.slice(src + 1) : url;
}

function top(entries: Map<string, number>, total: number, n: number): string[] {
  return [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
}

/**
 * Inclusive time of the functions named in `names` (a function's own time plus all it calls), counting a
 * recursive call once: which stage of the request path costs what.
 */
function inclusive(profile: Profile, times: Map<number, number>, names: readonly string[]): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>(names.map((name) => [name, 0]));
  const visit = (id: number, open: ReadonlySet<string>): void => {
    const node = byId.get(id);
    if (!node) return;
    const name = node.callFrame.functionName;
    const inside = names.includes(name) && !open.has(name) ? new Set([...open, name]) : open;
    for (const counted of inside) totals.set(counted, (totals.get(counted) ?? 0) + (times.get(id) ?? 0));
    for (const child of node.children ?? []) visit(child, inside);
  };
  const root = profile.nodes[0];
  if (root) visit(root.id, new Set());
  return names.map((name) => `${((totals.get(name) ?? 0) / 1e3).toFixed(0).padStart(8)} ms  ${name}`);
}

function main(): void {
  const [file, count, names] = process.argv.slice(2);
  if (!file) throw new Error("usage: profile-top.ts FILE.cpuprofile [N] [fnA,fnB,…]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const times = selfTimes(profile);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = times.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : "";
    const name = `${functionName || "(anonymous)"} ${where}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const fileName = url ? shortUrl(url) : functionName;
    byFile.set(fileName, (byFile.get(fileName) ?? 0) + us);
  }
  const n = Number(count ?? 30);
  process.stdout.write(`total ${(total / 1e6).toFixed(2)} s sampled\n\nself time by function:\n`);
  process.stdout.write(`${top(byFunction, total, n).join("\n")}\n\nself time by file:\n`);
  process.stdout.write(`${top(byFile, total, n).join("\n")}\n`);
  if (names) {
    const lines = inclusive(profile, times, names.split(","));
    process.stdout.write(`\ninclusive time:\n${lines.join("\n")}\n`);
  }
}

main();
