// Which answers leave a Kubernetes Event (audit mode, real drift, not a dry-run) and what it says.
import { describe, expect, it } from "vitest";
import { auditEventFor, EVENT_MESSAGE_LIMIT } from "../../src/core/audit-event.js";
import { decide } from "../../src/core/decide.js";
import type { JsonObject } from "../../src/core/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed, request } from "../support/reviews.js";

type O = JsonObject;
const GIT = deploymentManifest({ replicas: 2, env: [{ name: "TOKEN", value: "s3cret" }] });
const live = () => storedDeployment(GIT);
const containerOf = (o: O) => ((((o.spec as O).template as O).spec as O).containers as O[])[0] as O;

function eventFor(edit: (o: O) => void, options: { mode?: "audit" | "enforce"; dryRun?: boolean } = {}) {
  const policy = testPolicy({ mode: options.mode ?? "audit" });
  const next = live();
  edit(next);
  const decision = decide({
    request: request({
      operation: "UPDATE",
      object: next,
      oldObject: live(),
      dryRun: options.dryRun ?? false,
    }),
    lookup: managed(desiredFor(GIT, policy)),
    policy,
    namespaceTerminating: false,
  });
  return auditEventFor(decision);
}

describe("audit-mode events", () => {
  it.each([
    ["enforce mode (the request is denied)", { mode: "enforce" as const }],
    ["a dry-run", { dryRun: true }],
  ])("none for %s", (_case, options) => {
    expect(eventFor((o) => (containerOf(o).image = "nginx:9"), options)).toBeUndefined();
  });

  it("none when nothing drifts", () => {
    expect(eventFor(() => {})).toBeUndefined();
  });

  it("names requester, file, commit and path for real drift", () => {
    const event = eventFor((o) => (containerOf(o).image = "nginx:9"));
    expect(event?.reason).toBe("DriftAllowedInAuditMode");
    expect(event?.key).toEqual({ namespace: "shop", name: "web" });
    expect(event?.message).toMatch(
      /^alice changed it away from Git \(.* at [0-9a-f]{7}\); audit mode allowed it/,
    );
    expect(event?.message).toContain(
      'spec.template.spec.containers[name=web].image: Git "nginx:1.25", request "nginx:9"',
    );
  });

  it("never carries an env value, and stays under the Event message limit", () => {
    const event = eventFor((o) => {
      const container = containerOf(o);
      container.env = [
        { name: "TOKEN", value: "leaked-value" },
        ...Array.from({ length: 40 }, (_, i) => ({ name: `V${i}`, value: "x".repeat(90) })),
      ];
    });
    expect(event?.message).not.toContain("leaked-value");
    expect(event?.message).toContain("and 36 more");
    expect(event?.message.length).toBeLessThanOrEqual(EVENT_MESSAGE_LIMIT);
  });
});
