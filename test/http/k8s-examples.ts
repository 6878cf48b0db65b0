// Reads the real AdmissionReview captures (../shared/k8s-examples beside the repository) when present.
// The kubewarden captures store only the `request` member; they are wrapped into a full review here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const K8S_EXAMPLES_DIR = resolve(import.meta.dirname, "../../../shared/k8s-examples");
export const k8sExamplesPresent = existsSync(K8S_EXAMPLES_DIR);
export const K8S_EXAMPLES_SKIP_REASON =
  "../shared/k8s-examples is not beside the repository: tests on real captured reviews skipped";

export interface CapturedReview {
  file: string;
  body: { apiVersion: string; kind: string; request: { uid: string } };
}

/** Every complete JSON capture (`*.json`; the partial `.txt` and commented `.jsonc` ones are not JSON). */
export function capturedReviews(): CapturedReview[] {
  if (!k8sExamplesPresent) return [];
  return readdirSync(K8S_EXAMPLES_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(join(K8S_EXAMPLES_DIR, file), "utf8"));
      const body =
        parsed.kind === "AdmissionReview"
          ? parsed
          : { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: parsed };
      return { file, body };
    });
}
