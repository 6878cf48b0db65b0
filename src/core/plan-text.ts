// The text of a drift plan: `diff --cluster` prints it, and `plan` (issue 12) will. Read from the
// versioned DriftReport, so that the text and `-o json` can never say different things. Pure.
//
//   Deployment ns/name — source "s", commit abc1234, file path.yaml
//     ~ spec.replicas: 2 → 5            Git's value → the live one
//     + metadata.labels.tier: "x"       added by hand: not in Git
//     - spec.template…env[name=A]: "1"  Git's, removed from the object
//
// Values of sensitive fields arrive masked (Drift): the text says <masked> or <changed>, never a value.
import type { DriftReport, FieldReport, ObjectReport } from "./drift-report.js";
import { formatValue } from "./format.js";
import type { Json } from "./types.js";

const SIGN = { changed: "~", added: "+", removed: "-" } as const;

/** The plan as lines of text, newline-terminated; objects in the report's order (namespace, name). */
export function planText(report: DriftReport): string {
  const blocks: string[] = [];
  for (const object of report.objects) {
    const block = objectBlock(object);
    if (block !== undefined) blocks.push(block);
  }
  for (const error of report.errors) {
    const where = error.namespace === undefined ? "" : ` namespace ${error.namespace}:`;
    blocks.push(`error:${where} ${error.message}`);
  }
  blocks.push(summaryLine(report));
  return `${blocks.join("\n\n")}\n`;
}

/** `N drifted, M in sync, K unmanaged, E errors` (and unknown ones, when there are). */
export function summaryLine(report: DriftReport): string {
  const { drifted, inSync, unmanaged, unknown, errors } = report.summary;
  const parts = [`${drifted} drifted`, `${inSync} in sync`, `${unmanaged} unmanaged`];
  if (unknown > 0) parts.push(`${unknown} unknown`);
  parts.push(`${errors} ${errors === 1 ? "error" : "errors"}`);
  return parts.join(", ");
}

// In-sync and unmanaged objects have nothing to show but their count: a plan lists what would change.
function objectBlock(object: ObjectReport): string | undefined {
  const title = `Deployment ${object.namespace}/${object.name}`;
  if (object.state === "unknown") return `${title} — desired state unknown: ${object.reason ?? ""}`;
  if (object.state !== "drifted") return undefined;
  const lines = [`${title} — ${object.git?.description ?? "Git"}`];
  for (const field of object.fields) lines.push(`  ${fieldLine(field)}`);
  return lines.join("\n");
}

function fieldLine(field: FieldReport): string {
  const mark = field.mark ? " (GitOps mark, not drift)" : "";
  const head = `${SIGN[field.change]} ${field.path}${mark}`;
  if (field.masked) return `${head}: ${field.change === "changed" ? "<changed>" : "<masked>"}`;
  switch (field.change) {
    case "changed":
      return `${head}: ${shown(field.git)} → ${shown(field.live)}`;
    case "added":
      return `${head}: ${shown(field.live)}`;
    case "removed":
      return `${head}: ${shown(field.git)}`;
  }
}

function shown(value: Json | undefined): string {
  return formatValue(value, false);
}
