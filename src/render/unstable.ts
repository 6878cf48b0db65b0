// Fields that differ between two renders of the same inputs (a random password's checksum, a timestamp):
// they can never be a reason to deny (docs/contract.md §2a). Pure.
import { diff } from "../core/diff.js";
import { type NormalizeOptions, normalize } from "../core/normalize.js";
import { formatPath } from "../core/paths.js";
import type { Path } from "../core/types.js";
import type { ManifestDoc } from "../sources/types.js";

// Both renders are normalized alike, so the paths come out in the form every comparison uses.
const AS_IS: NormalizeOptions = {
  ignoreAnnotations: new Set(),
  ignoreLabels: new Set(),
  ignorePaths: [],
  replicasManaged: true,
};

export interface Stability {
  /** The first render's documents, each with its unstable paths added to notCompared. */
  docs: ManifestDoc[];
  /** `namespace/name: path` for each unstable field, for the app's notice. */
  unstable: string[];
}

export function markUnstable(first: readonly ManifestDoc[], second: readonly ManifestDoc[]): Stability {
  const again = new Map(second.map((doc) => [keyOf(doc), doc]));
  const unstable: string[] = [];
  const docs = first.map((doc) => {
    const other = again.get(keyOf(doc));
    if (other === undefined) {
      unstable.push(`${keyOf(doc)}: only in one of two renders`);
      return doc;
    }
    const paths = differingPaths(doc, other);
    if (paths.length === 0) return doc;
    for (const path of paths) unstable.push(`${keyOf(doc)}: ${formatPath(path)}`);
    return { ...doc, notCompared: [...(doc.notCompared ?? []), ...paths] };
  });
  return { docs, unstable };
}

function differingPaths(a: ManifestDoc, b: ManifestDoc): Path[] {
  return diff(normalize(a.object, AS_IS).object, normalize(b.object, AS_IS).object).map((d) => d.path);
}

function keyOf(doc: ManifestDoc): string {
  return `${doc.namespace}/${doc.name}`;
}
