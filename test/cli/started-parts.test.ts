// The cleanup helper behind `serve`: what was started is stopped last first, each part once, and a
// failing stop neither hides the startup error nor keeps the other parts running.
import { describe, expect, it } from "vitest";
import { StartedParts, StartupError } from "../../src/cli/started-parts.js";

function parts() {
  const stopped: string[] = [];
  const problems: string[] = [];
  const started = new StartedParts((part, error) => problems.push(`${part}: ${(error as Error).message}`));
  const add = (name: string, stop: () => Promise<void> | void = () => {}) =>
    started.add(name, async () => {
      stopped.push(name);
      await stop();
    });
  return { started, add, stopped, problems };
}

describe("StartedParts", () => {
  it("stops in reverse order, each part once, waiting for each", async () => {
    const { started, add, stopped } = parts();
    add("certificates");
    add("cluster watch");
    add("Git sources", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stopped.push("Git sources done");
    });
    add("HTTPS server");
    await started.stopAll();
    expect(stopped).toEqual([
      "HTTPS server",
      "Git sources",
      "Git sources done",
      "cluster watch",
      "certificates",
    ]);
    await started.stopAll();
    expect(stopped).toHaveLength(5);
  });

  it("startOrUndo: a failing step stops what came before it, then rethrows the step's error", async () => {
    const { started, add, stopped } = parts();
    const failure = new StartupError("the HTTPS server on 127.0.0.1:8443", new Error("listen EADDRINUSE"));
    const attempt = started.startOrUndo(async () => {
      add("certificates");
      add("cluster watch");
      throw failure;
    });
    await expect(attempt).rejects.toBe(failure);
    expect(stopped).toEqual(["cluster watch", "certificates"]);
    expect(failure.message).toBe("cannot start the HTTPS server on 127.0.0.1:8443: listen EADDRINUSE");
    expect(failure.code).toBe("DG_STARTUP_FAILED");
  });

  it("a part that fails to stop is reported and the rest are still stopped", async () => {
    const { started, add, stopped, problems } = parts();
    add("certificates");
    add("cluster watch", () => {
      throw new Error("socket hang up");
    });
    add("HTTPS server");
    await started.stopAll();
    expect(stopped).toEqual(["HTTPS server", "cluster watch", "certificates"]);
    expect(problems).toEqual(["cluster watch: socket hang up"]);
  });

  it("startOrUndo passes a successful start through and stops nothing", async () => {
    const { started, add, stopped } = parts();
    const result = await started.startOrUndo(async () => {
      add("certificates");
      return "server";
    });
    expect(result).toBe("server");
    expect(stopped).toEqual([]);
  });
});
