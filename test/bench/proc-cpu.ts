// CPU time of a server process, from /proc/<pid>/stat: utime + stime cover every thread of the process
// (event loop, libuv pool, GC helpers), which is what a request really costs the machine.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux nearly everywhere). */
export function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0)
    throw new Error("getconf CLK_TCK gave no number");
  return ticksPerSecond;
}

/** utime + stime of `pid`, in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / clockTicks()) * 1_000_000;
}

/**
 * CPU time of the children `pid` has waited for (cutime + cstime, fields 16–17), in microseconds: for
 * driftguard, every kustomize and helm run once it ended, apart from driftguard's own time.
 */
export function reapedChildrenMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[13]) + Number(fields[14]);
  return (ticks / clockTicks()) * 1_000_000;
}

/** CPU time every process on the machine spent busy (all cores, /proc/stat), in microseconds. */
export function machineBusyMicros(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0);
  return (ticks / clockTicks()) * 1_000_000;
}

/** This process's CPU plus that of its children already waited for (wrk, once a run is over). */
export function selfAndReapedChildrenMicros(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime are fields 14–17: indexes 11–14 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return (ticks / clockTicks()) * 1_000_000;
}
