// Loopback helpers shared by the integration tests, the e2e test bed and the benchmarks.
import { createServer } from "node:net";

/** A port that is free right now on 127.0.0.1 (the config needs a number; 0 is not accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
