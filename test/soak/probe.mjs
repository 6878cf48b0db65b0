// Preloaded into the soak's driftguard process (`node --import`): driftguard exports no Node.js runtime
// metrics on purpose (README, Operating driftguard), so this is how the soak reads its heap and its
// event-loop delay. Plain JavaScript, because the built CLI runs under plain node and loading tsx into
// the measured process would add a compiler (and its child process) to its memory. It answers each IPC
// message "sample" with the figures since the previous one; without an IPC channel it does nothing.
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

if (typeof process.send === "function") {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // Heap in use just after the last major (mark-sweep-compact) GC: the floor of the sawtooth, which is
  // what grows when something leaks. heapUsed at a random moment swings by tens of MB between GCs.
  let afterMajorGc = process.memoryUsage().heapUsed;
  let majorGcs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      afterMajorGc = process.memoryUsage().heapUsed;
      majorGcs += 1;
    }
  }).observe({ entryTypes: ["gc"] });
  process.on("message", (message) => {
    if (message !== "sample") return;
    const memory = process.memoryUsage();
    process.send?.({
      heapUsedBytes: memory.heapUsed,
      heapAfterMajorGcBytes: afterMajorGc,
      majorGcs,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
    });
    delay.reset();
  });
  // The channel must not keep driftguard alive once it has been told to stop.
  process.channel?.unref();
}
