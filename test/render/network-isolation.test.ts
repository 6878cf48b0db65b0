// Renders run in a network namespace of their own where the machine allows it: a tool that tries to
// reach a server on this host's loopback does not reach it; without isolation the same tool does.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IsolationStatus, probeNetworkIsolation } from "../../src/render/network-isolation.js";
import { runTool } from "../../src/render/run-tool.js";

const status: IsolationStatus = await probeNetworkIsolation("auto");
if (status.kind === "not-isolated")
  console.warn(`network isolation: ${status.reason}; its tests are skipped`);

describe("probing", () => {
  it("never isolates when told never", async () => {
    expect(await probeNetworkIsolation("never")).toEqual({
      kind: "not-isolated",
      reason: "renderers.isolateNetwork is never",
    });
  });
});

describe.skipIf(status.kind !== "isolated")("a render without the network", () => {
  let tmp: string;
  let server: Server;
  let port = 0;
  let connections = 0;
  let tool: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "driftguard-netns-"));
    server = createServer((socket) => {
      connections += 1;
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
    // A "tool" that tries the loopback server and says whether it got through.
    tool = join(tmp, "reach");
    await writeFile(
      tool,
      `#!/bin/bash\nif (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then echo reached; else echo unreachable; fi\n`,
    );
    await chmod(tool, 0o755);
  });
  afterAll(async () => {
    server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const run = (isolated: boolean) =>
    runTool({
      binary: tool,
      args: [],
      cwd: tmp,
      timeoutMs: 10_000,
      maxOutputBytes: 1 << 20,
      isolation: isolated && status.kind === "isolated" ? status.prefix : undefined,
    });

  it("does not reach a server on the host's loopback", async () => {
    const before = connections;
    const result = await run(true);
    expect(result.ok ? result.stdout.trim() : result.message).toBe("unreachable");
    expect(connections).toBe(before);
  });

  it("while the same tool run without isolation does (the test's own control)", async () => {
    const before = connections;
    const result = await run(false);
    expect(result.ok ? result.stdout.trim() : result.message).toBe("reached");
    expect(connections).toBe(before + 1);
  });
});
