// Kubelet probes and the Prometheus scrape. None of them touches Git or the API server: they report state
// the service already holds, so a slow remote can never fail a probe.
import type { FastifyInstance } from "fastify";
import { describeError } from "../errors.js";
import type { AppDependencies, Readiness } from "./types.js";

function readReadiness(deps: AppDependencies): Readiness {
  try {
    return deps.readiness();
  } catch (error) {
    // A probe that throws must read as "not ready", never as a 500 that hides the cause.
    return { ready: false, details: { error: describeError(error) } };
  }
}

export function registerProbeRoutes(app: FastifyInstance, deps: AppDependencies): void {
  // Liveness: the event loop answers. Nothing else, or a Git outage would restart every replica.
  app.get("/healthz", async (_request, reply) => reply.type("text/plain; charset=utf-8").send("ok"));

  app.get("/readyz", async (_request, reply) => {
    const { ready, details } = readReadiness(deps);
    return reply.code(ready ? 200 : 503).send({ ready, details });
  });

  const metrics = deps.metrics;
  if (metrics) {
    app.get("/metrics", async (_request, reply) =>
      reply.type("text/plain; version=0.0.4; charset=utf-8").send(await metrics()),
    );
  }
}
