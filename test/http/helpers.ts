// Shared pieces of the HTTP tests: stand-in dependencies, a sample review, an app with a memory logger.
import type { AdmissionRequest, AdmissionResponse } from "../../src/core/admission.js";
import { buildApp } from "../../src/http/app.js";
import type { AppDependencies, Readiness } from "../../src/http/types.js";
import { memoryLogger } from "../support/memory-logger.js";
import { clone, request, wireReview } from "../support/reviews.js";

/** A value placed inside request objects; it must never reach a log line. */
export const SECRET_MARKER = "s3cr3t-value-that-must-not-be-logged";

/** The wire review the HTTP tests post: an UPDATE of shop/web whose objects carry SECRET_MARKER. */
export function sampleReview(overrides: Partial<AdmissionRequest> = {}) {
  const object = { apiVersion: "apps/v1", kind: "Deployment", spec: { token: SECRET_MARKER } };
  const base = request({
    operation: "UPDATE",
    object,
    oldObject: clone(object),
    name: "web",
    namespace: "shop",
  });
  return wireReview({ ...base, ...overrides });
}

export interface FakeDeps extends AppDependencies {
  admitted: AdmissionRequest[];
  refreshed: (string | undefined)[];
  readinessState: Readiness;
}

export function fakeDeps(overrides: Partial<AppDependencies> = {}): FakeDeps {
  const deps: FakeDeps = {
    admitted: [],
    refreshed: [],
    readinessState: { ready: true, details: { sources: { app: "synced" } } },
    admit: async (request): Promise<AdmissionResponse> => {
      deps.admitted.push(request);
      return { uid: request.uid, allowed: true, warnings: ["driftguard: looks fine"] };
    },
    readiness: () => deps.readinessState,
    refresh: async (source) => {
      deps.refreshed.push(source);
    },
    ...overrides,
  };
  return deps;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const builtApps: { close(): Promise<unknown> }[] = [];

/** Builds a plain-HTTP app for `inject()` with stand-in dependencies and a memory logger. */
export function buildTestApp(overrides: Partial<AppDependencies> = {}, bodyLimitBytes?: number) {
  const log = memoryLogger();
  const deps = fakeDeps(overrides);
  const app = buildApp(deps, { logger: log.logger, ...(bodyLimitBytes ? { bodyLimitBytes } : {}) });
  builtApps.push(app);
  return { app, deps, log };
}

/** Closes every app built by buildTestApp; for afterEach. */
export async function closeTestApps(): Promise<void> {
  await Promise.all(builtApps.splice(0).map((app) => app.close()));
}

export const JSON_HEADERS = { "content-type": "application/json" };
