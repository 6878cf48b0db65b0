// DesiredState: one index over every source. Identical copies are one desired state with a notice;
// different content is a conflict (desired state unknown).
import { describe, expect, it } from "vitest";
import { DesiredState } from "../../src/admission/desired-state.js";
import { deploymentManifest } from "../support/deployments.js";
import { fakeRevision, fakeSource } from "../support/fake-source.js";
import { testPolicy } from "../support/policy.js";

const manifest = (image: string) => deploymentManifest({ image });

function twoSources(left: string, right: string) {
  const apps = fakeSource("apps");
  const platform = fakeSource("platform");
  const state = new DesiredState([apps, platform], testPolicy());
  apps.serve(fakeRevision("apps", "a1", [manifest(left)]));
  platform.serve(fakeRevision("platform", "p1", [manifest(right)]));
  state.rebuild();
  return state;
}

describe("desired state across sources", () => {
  it("knows nothing before a source has synced: every object is unsynced, not unmanaged", () => {
    const apps = fakeSource("apps");
    const state = new DesiredState([apps], testPolicy());
    expect(state.lookup({ namespace: "shop", name: "web" })).toEqual({
      kind: "unsynced",
      reason: "Git source apps has not synced yet",
    });
    apps.serve(fakeRevision("apps", "a1", [deploymentManifest({ image: "nginx:1" })]));
    state.rebuild();
    expect(state.lookup({ namespace: "shop", name: "web" }).kind).toBe("managed");
    expect(state.lookup({ namespace: "shop", name: "other" }).kind).toBe("unmanaged");
  });

  it("treats identical copies as one desired state, and lists them as duplicates", () => {
    const state = twoSources("nginx:1", "nginx:1");
    expect(state.lookup({ namespace: "shop", name: "web" }).kind).toBe("managed");
    expect(state.conflicts()).toEqual([]);
    expect(state.duplicates()).toEqual([
      {
        key: "shop/web",
        origins: [
          { source: "apps", commit: "a1", file: "shop/web.yaml" },
          { source: "platform", commit: "p1", file: "shop/web.yaml" },
        ],
      },
    ]);
  });

  it("makes different content a conflict naming both places", () => {
    const state = twoSources("nginx:1", "nginx:2");
    const lookup = state.lookup({ namespace: "shop", name: "web" });
    expect(lookup).toMatchObject({ kind: "conflict", origins: [{ source: "apps" }, { source: "platform" }] });
    expect(state.duplicates()).toEqual([]);
    expect(state.conflicts()).toHaveLength(1);
  });
});
