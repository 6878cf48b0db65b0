// Preloaded into the soak's driftguard process (`node --import`): driftguard exports no Node.js runtime
// metrics on purpose (README, Operating driftguard), so this is how the soak reads its heap and its
// event-loop delay. Plain JavaScript, because the built CLI runs under plain node and loading tsx into
// the measured process would add a compiler (and its child process) to its memory. It answers each IPC
// message "sample" with the figures since the previous one; without an IPC channel it does nothing.
import { monitorEventLoopDelay } from "node:perf_hooks";

if (typeof process.send === "function") {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on("message", (message) => {
    if (message !== "sample") return;
    const memory = process.memoryUsage();
    process.send?.({
      heapUsedBytes: memory.heapUsed,
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
