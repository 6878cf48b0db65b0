// `driftguard check`: decide one AdmissionReview offline, exactly as the webhook would (Git synced once).

import { staticClusterView } from "../admission/cluster-view.js";
import { wrapResponse } from "../core/admission.js";
import { DriftguardError, describeError } from "../errors.js";
import { parseReview } from "../http/review-schema.js";
import { type LoadedRbac, loadRbacDir, RbacLoadError } from "../rbac/load-dir.js";
import { parse } from "./args.js";
import { inputName, readInput } from "./input.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard check --config FILE [--rbac DIR] [REVIEW.json | -]

Syncs the config's Git sources once, decides the AdmissionReview (from the file, or standard input) as
the webhook would, and prints the AdmissionReview response as JSON.

--rbac DIR   RBAC objects (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings) from the YAML or JSON
             files under DIR (or one file; Lists and kubectl get -o yaml output too), evaluated as the
             webhook evaluates the cluster's: grants of verb override on deployments[/<field group>]
             in API group driftguard.io; aggregated ClusterRoles filled as the controller fills them;
             driftguard.io/expires-at checked against the current time.
Exit status: 0 allowed, 1 denied, 2 error.`;

export async function runCheck(args: string[]): Promise<number> {
  const parsed = parse(args, { config: { type: "string", short: "c" }, rbac: { type: "string" } }, HELP);
  if (!parsed) return 0;
  const input = parsed.positionals[0];
  const review = parseInputReview(await readInput(input), inputName(input));
  const cluster = parsed.values.rbac === undefined ? undefined : await rbacFrom(parsed.values.rbac);
  return withSyncedRuntime(
    parsed.values.config,
    async (runtime) => {
      const response = await runtime.admit(review.request);
      process.stdout.write(`${JSON.stringify(wrapResponse(response), null, 2)}\n`);
      return response.allowed ? 0 : 1;
    },
    cluster,
  );
}

/** The RBAC objects of --rbac DIR as a ClusterView (check and replay). */
export async function rbacFrom(dir: string) {
  let loaded: LoadedRbac;
  try {
    loaded = await loadRbacDir(dir);
  } catch (error) {
    if (!(error instanceof RbacLoadError)) throw error;
    throw new DriftguardError("DG_RBAC_LOAD", error.message, {
      where: "--rbac",
      hint: error.hint,
      cause: error,
    });
  }
  const { objects, files, skipped } = loaded;
  // Most likely the wrong folder: say so, since every grant would then be missing from the answer.
  if (Object.values(objects).every((list) => list.length === 0)) {
    process.stderr.write(
      `driftguard: --rbac ${dir}: no Role, ClusterRole, RoleBinding or ClusterRoleBinding in ${files} file(s)` +
        ` (${skipped} other object(s) left out)\n  every grant counts as missing: check that --rbac names the folder of RBAC manifests\n`,
    );
  }
  return { view: staticClusterView(objects) };
}

const FIX_REVIEW =
  "give an AdmissionReview as the API server sends it: apiVersion admission.k8s.io/v1, kind AdmissionReview, a request";

export function parseInputReview(text: string, where: string) {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new DriftguardError("DG_INPUT_INVALID", `the review is not JSON: ${describeError(error)}`, {
      where,
      hint: FIX_REVIEW,
    });
  }
  const result = parseReview(body);
  if (!result.ok)
    throw new DriftguardError("DG_REVIEW_INVALID", `not an AdmissionReview v1: ${result.error}`, {
      where,
      hint: FIX_REVIEW,
    });
  return result.review;
}
